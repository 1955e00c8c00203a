"""Latent tools measured on full Fashion-MNIST and on the ORL faces. Prints JSON.

    B=benchmarks/latent_tools.py; OUT=/tmp/latent-tools
    flock /tmp/latentforge-cpu.lock python $B sweep --out $OUT           # latent size 2..64
    flock /tmp/latentforge-cpu.lock python $B beta --out $OUT            # beta-VAE, TC, ICA
    flock /tmp/latentforge-cpu.lock python $B smoothness --out $OUT      # interpolation
    flock /tmp/latentforge-cpu.lock python $B orl --out $OUT --docs      # faces, grids

Every training run has a fixed step budget (``--steps`` of ``--batch-size`` images; the
budget is printed with the results), and everything is measured on the 10,000 test images.
The Frechet distance uses the 128-d penultimate layer of a small CNN classifier trained for
``--classifier-epochs`` epochs on the 60,000 training images (``gan_class_coverage.py``'s
network; its test accuracy is reported) -- the pluggable feature function of
``latentforge.apps.sample_features``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from _data import FASHION_MNIST, ORL_FACES, add_data_options, data_dir
from gan_class_coverage import as_float, classifier, train_classifier
from latentforge.apps.coordinates import latent_axes
from latentforge.apps.independence import independence_report, reconstruction_mse
from latentforge.apps.interpolation import input_walks, prior_walks, smoothness
from latentforge.apps.latent_codes import encode_images
from latentforge.apps.sweep import run_sweep
from latentforge.apps.traversal import prior_span, traversal
from latentforge.data import load_data
from latentforge.steps.train_config import TrainConfig
from latentforge.training.checkpoint import load_model
from latentforge.training.run import DataConfig, RunConfig, train
from latentforge.utils.files import atomic_write_json
from latentforge.viz.grid import save_grid

DOCS_IMAGES = Path(__file__).resolve().parents[1] / "docs" / "images"


def train_config(args: argparse.Namespace, steps: int | None = None, batch: int | None = None):
    return TrainConfig(
        epochs=1000,
        max_steps=steps or args.steps,
        batch_size=batch or args.batch_size,
        lr=args.lr,
        seed=args.seed,
        device="cpu",
        num_workers=0,
        progress=False,
        tensorboard=False,
        log_every=100,
    )


def fashion_base(
    args: argparse.Namespace, model: str, steps: int | None = None, **options
) -> RunConfig:
    hidden = {"hidden_channels": tuple(args.hidden)}
    data = DataConfig(str(args.fashion), val_fraction=0.1)
    return RunConfig(model, {**hidden, **options}, data, train_config(args, steps=steps))


def feature_function(args: argparse.Namespace):
    """The classifier's 128-d penultimate features, trained once and cached in OUT."""
    path = args.out / "feature-classifier.safetensors"
    data = load_data(args.fashion, val_fraction=0.0, seed=args.seed)
    if path.is_file():
        net = classifier()
        net.load_state_dict(load_file(str(path)))
        net.eval()
    else:
        subset = data.train.subset(torch.arange(min(args.classifier_images, len(data.train))))
        net = train_classifier(subset, args.classifier_epochs, args.seed)
        args.out.mkdir(parents=True, exist_ok=True)
        save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    with torch.no_grad():
        test = as_float(data.test.images)
        logits = torch.cat([net(part) for part in test.split(1000)])
    accuracy = float((logits.argmax(1) == data.test.labels).float().mean())
    features = net[:-1]

    def extract(images: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return features(images.float().cpu())

    extract.name = f"cnn128 (test accuracy {accuracy:.3f})"
    return extract, accuracy


def budget(args: argparse.Namespace) -> dict:
    return {"steps": args.steps, "batch_size": args.batch_size, "hidden": list(args.hidden)}


def run_latent_sweep(args: argparse.Namespace) -> dict:
    features, accuracy = feature_function(args)
    results = {"budget": budget(args), "classifier_accuracy": accuracy}
    for model in args.models:
        started = time.perf_counter()
        records = run_sweep(
            "latent-dim", args.sizes, fashion_base(args, model), args.out / f"sweep-{model}",
            features=features,
        )  # fmt: skip
        results[model] = records
        results[f"{model}_seconds"] = round(time.perf_counter() - started, 1)
    return results


def _test_images(args: argparse.Namespace, n: int) -> torch.Tensor:
    data = load_data(args.fashion, val_fraction=0.0)
    return as_float(data.test.images[:n])


def run_beta(args: argparse.Namespace) -> dict:
    features, accuracy = feature_function(args)
    base = fashion_base(args, "vae", steps=args.beta_steps, latent_dim=args.latent_dim)
    out = args.out / "beta"
    records = run_sweep("beta", args.betas, base, out, features=features)
    images = _test_images(args, 5000)
    for record in records:
        model = load_model(record["run"])
        encoded = encode_images(model, images)
        report = independence_report(encoded, seed=args.seed)
        knn = ("tc_knn_codes", "tc_knn_pca", "tc_knn_ica")
        record.update({k: report.numbers[k] for k in knn})
        record["ica_components"] = report.numbers["ica_components"]
        record["ica_converged"] = report.numbers["ica_converged"]
        record["recon_mse_through_ica"] = reconstruction_mse(model, images[:2000], report.ica)
        record["recon_mse_2000"] = reconstruction_mse(model, images[:2000])
        if args.docs:
            stem = f"fashion-vae-beta{record['beta']:g}"
            record["rows"] = write_traversals(model, encoded.means.mean(0), report.ica, stem)
    return {
        "budget": {**budget(args), "steps": args.beta_steps, "latent_dim": args.latent_dim},
        "classifier_accuracy": accuracy,
        "beta": records,
    }


def write_traversals(model, base, ica, stem: str, steps: int = 9, top: int = 8, scale: int = 2):
    low, high = prior_span(model, 3.0)
    axes = traversal(model, base, latent_axes(base.shape[0]), low, high, steps, top)
    width = torch.full((ica.components,), 3.0)
    independent = traversal(model, base, ica, -width, width, steps, top)
    for name, result in (("axes", axes), ("ica", independent)):
        path = DOCS_IMAGES / f"{stem}-{name}.png"
        save_grid(result.grid_images(), path, nrow=steps, scale=scale)
    return {"axes": axes.rows(), "ica": independent.rows()}


def run_smoothness(args: argparse.Namespace) -> dict:
    """Walks between 200 pairs of test images and 200 pairs of prior points."""
    images = _test_images(args, 400)
    results = {}
    runs = {
        "ae": args.out / "sweep-ae" / f"latent-dim-{args.latent_dim}",
        "vae": args.out / "beta" / "beta-1.0",
    }
    for name, run in runs.items():
        model = load_model(run)
        generator = torch.Generator().manual_seed(args.seed)
        walks = {
            "inputs_linear": input_walks(model, images[:200], images[200:], args.walk_steps),
            "prior_linear": prior_walks(model, 200, args.walk_steps, False, generator),
            "prior_spherical": prior_walks(
                model, 200, args.walk_steps, True, torch.Generator().manual_seed(args.seed)
            ),
        }
        results[name] = {"run": str(run), **{k: smoothness(v).to_dict() for k, v in walks.items()}}
        if args.docs:
            ends = (images[:6, None], walks["inputs_linear"][:6], images[200:206, None])
            strip = torch.cat(ends, 1)
            save_grid(strip.flatten(0, 1), DOCS_IMAGES / f"fashion-{name}-interpolation.png",
                      nrow=strip.shape[1], scale=2)  # fmt: skip
    return {"walk_steps": args.walk_steps, "pairs": 200, "smoothness": results}


def run_orl(args: argparse.Namespace) -> dict:
    """A VAE on the ORL faces (56 x 46, half size); its strongest axis and ICA traversals."""
    run_dir = args.out / "orl-vae"
    model_options = {
        "latent_dim": args.orl_latent, "hidden_channels": (32, 64, 128), "beta": args.orl_beta,
    }  # fmt: skip
    run = RunConfig(
        "vae", model_options,
        DataConfig(str(args.orl), image_size=(56, 46), val_fraction=0.1),
        train_config(args, steps=args.orl_steps, batch=32),
    )  # fmt: skip
    started = time.perf_counter()
    train(run, run_dir, overwrite=True)
    seconds = time.perf_counter() - started
    model = load_model(run_dir)
    data = load_data(args.orl, image_size=(56, 46), val_fraction=0.1, seed=args.seed)
    images = as_float(data.train.images)
    encoded = encode_images(model, images)
    report = independence_report(encoded, seed=args.seed)
    val = as_float(data.val.images)
    result = {
        "budget": {"steps": args.orl_steps, "batch_size": 32, "train_seconds": round(seconds, 1)},
        "model": model_options,
        "recon_mse_val": reconstruction_mse(model, val),
        **{k: report.numbers[k] for k in ("active_dims", "tc_gaussian", "tc_aggregate",
                                          "tc_knn_codes", "tc_knn_pca", "tc_knn_ica")},
    }  # fmt: skip
    if args.docs:
        base = encoded.means.mean(0)
        result["rows"] = write_traversals(model, base, report.ica, "orl-vae", scale=2)
        recon = torch.stack([val[:8], model.reconstruct(val[:8])], 0).flatten(0, 1)
        save_grid(recon, DOCS_IMAGES / "orl-vae-reconstructions.png", nrow=8, scale=2)
    return result


COMMANDS = {
    "sweep": run_latent_sweep,
    "beta": run_beta,
    "smoothness": run_smoothness,
    "orl": run_orl,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=tuple(COMMANDS))
    parser.add_argument("--out", type=Path, default=Path("/tmp/latent-tools"))
    add_data_options(parser)
    parser.add_argument("--steps", type=int, default=250, help="training steps per sweep run")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--hidden", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2, 4, 8, 16, 32, 64])
    parser.add_argument("--models", nargs="+", default=["ae"], choices=("ae", "vae"))
    parser.add_argument("--latent-dim", type=int, default=16)
    parser.add_argument("--betas", type=float, nargs="+", default=[0.5, 1.0, 2.0, 4.0, 8.0])
    parser.add_argument("--beta-steps", type=int, default=300)
    parser.add_argument("--walk-steps", type=int, default=10)
    parser.add_argument("--orl-steps", type=int, default=1500)
    parser.add_argument("--orl-latent", type=int, default=16)
    parser.add_argument("--orl-beta", type=float, default=1.0)
    parser.add_argument("--classifier-epochs", type=int, default=1)
    parser.add_argument("--classifier-images", type=int, default=60_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--docs", action="store_true", help="write grids into docs/images")
    args = parser.parse_args()
    args.fashion = data_dir(args) / FASHION_MNIST
    args.orl = data_dir(args) / ORL_FACES
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    result = COMMANDS[args.command](args)
    result["command"] = args.command
    result["seconds"] = round(time.perf_counter() - started, 1)
    atomic_write_json(args.out / f"{args.command}.json", result)
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
