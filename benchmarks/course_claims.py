"""Measure three claims of the generative-models course (docs/course.md). Prints JSON.

    PYTHONPATH=src nice -n 10 python benchmarks/course_claims.py latents --steps 600
    PYTHONPATH=src nice -n 10 python benchmarks/course_claims.py gan --steps 250
    PYTHONPATH=src nice -n 10 python benchmarks/course_claims.py gan --steps 1250 \
        --games minimax non-saturating --balances default      # the WGANs' real images seen

(``--json FILE`` also writes the JSON to FILE; runs go to ``--out``, default runs/course-claims.)

``gan``: "WGAN is less prone to vanishing gradients and mode collapse than the min-max loss".
The same DCGAN networks are trained on Fashion-MNIST for the same number of generator steps
with four games: the saturating min-max loss, its non-saturating form, WGAN (weight clipping)
and WGAN-GP, each once with the default balance and once against a discriminator made
stronger (``--strong-lr-factor`` x its learning rate, ``--strong-d-steps`` steps per cycle).
For each run: the health monitor's warnings, the generator's gradient norm early and late, the
diversity ratio the monitor reads, and the classes of 2,000 samples under the shipped
Fashion-MNIST classifier (``latentforge.metrics.modes.mode_coverage``).

``latents``: "nearby latents give similar reconstructions" and "a VAE's outputs vary for the
same input, an AE's do not". An AE and a VAE (same networks, latent 16) are trained on
Fashion-MNIST; then (a) test codes are moved by a growing distance in a random direction and
the pixel change of the decoded image is measured against the distance moved, and the rank
correlation between code distance and pixel distance over random pairs of test images is
reported; (b) each test image is decoded from ``--draws`` codes: for the VAE drawn from
q(z|x) with the reparameterization, for the AE its one code, and the pixel spread between the
draws is reported.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from _runs import print_json, train_model
from latentforge.data import load_data
from latentforge.data.sources import checkout_data_dir
from latentforge.metrics.diversity import diversity_ratio, flat_pixels
from latentforge.metrics.features.classifier import shipped_classifier
from latentforge.metrics.modes import mode_coverage
from latentforge.models import VAE, DCGANConfig, WGANConfig, WGANGPConfig
from latentforge.models.base import GenerativeModel
from latentforge.nn.gaussian import reparameterize
from latentforge.utils.run_logs import read_metrics, read_warnings

GAMES = {
    "minimax": ("dcgan", {"loss": "minimax"}),
    "non-saturating": ("dcgan", {"loss": "non-saturating"}),
    "wgan": ("wgan", {}),
    "wgan-gp": ("wgan-gp", {}),
}
G_GRAD = "train/generator/grad_norm"
DIVERSITY = "train/generator/diversity"
D_ACCURACY = "train/discriminator/accuracy"


def data_options(args: argparse.Namespace) -> dict:
    data_dir = checkout_data_dir(args.data_dir)
    if data_dir is None or not (data_dir / "fashion-mnist.npz").is_file():
        sys.exit(
            "course_claims: fashion-mnist.npz not found; pass --data-dir DIR (the folder that "
            "holds it) or set $LATENTFORGE_DATA"
        )
    return {"spec": "fashion-mnist", "data_dir": str(data_dir), "val_fraction": 0.0}


def train_options(args: argparse.Namespace, steps: int, log_every: int) -> dict:
    return {
        "epochs": 1000,
        "max_steps": steps,
        "batch_size": args.batch_size,
        "log_every": log_every,
        "seed": args.seed,
        "grid_size": 16,
    }


def mean_of(records: list[dict], key: str, part: slice) -> float | None:
    values = [r[key] for r in records if key in r][part]
    return round(float(np.mean(values)), 4) if values else None


@torch.no_grad()
def sample_classes(model: GenerativeModel, n: int, seed: int) -> tuple[dict, torch.Tensor]:
    """Mode coverage of ``n`` samples under the shipped classifier (a class counts from 1%)."""
    extractor = shipped_classifier()
    samples = model.sample(n, generator=torch.Generator().manual_seed(seed))
    logits = torch.cat([extractor.logits(samples[i : i + 500]) for i in range(0, n, 500)])
    return mode_coverage(logits.numpy(), num_classes=10, min_share=0.01), samples


def gan_claims(args: argparse.Namespace) -> dict:
    data = data_options(args)
    test = load_data(data["spec"], data_dir=data["data_dir"], val_fraction=0.0).test
    real = test.images[:1000].float() / 255.0
    results: dict = {"steps": args.steps, "batch_size": args.batch_size, "runs": []}
    for balance in args.balances:
        for game in args.games:
            model_type, options = GAMES[game]
            model_options = {"g_channels": args.channels, "d_channels": args.channels, **options}
            if balance == "strong-d":
                defaults = GAME_DEFAULTS[model_type]
                model_options["lr_d"] = defaults["lr_d"] * args.strong_lr_factor
                model_options["d_steps"] = defaults["d_steps"] * args.strong_d_steps
            run_dir = args.out / f"gan-{balance}-{game}-{args.steps}"
            torch.manual_seed(args.seed)
            model, seconds = train_model(
                model_type, model_options, data, train_options(args, args.steps, 10), run_dir
            )
            records = read_metrics(run_dir)
            coverage, samples = sample_classes(model, args.samples, args.seed)
            tenth = max(1, len([r for r in records if G_GRAD in r]) // 10)
            results["runs"].append(
                {
                    "balance": balance,
                    "game": game,
                    "model": model_type,
                    "options": model_options,
                    "seconds": round(seconds, 1),
                    "warnings": sorted({w["kind"] for w in read_warnings(run_dir)}),
                    "g_grad_norm_first_tenth": mean_of(records, G_GRAD, slice(0, tenth)),
                    "g_grad_norm_last_tenth": mean_of(records, G_GRAD, slice(-tenth, None)),
                    "d_accuracy_last_tenth": mean_of(records, D_ACCURACY, slice(-tenth, None)),
                    "diversity_last_tenth": mean_of(records, DIVERSITY, slice(-tenth, None)),
                    "diversity_of_samples": round(float(diversity_ratio(samples[:1000], real)), 4),
                    "classes_covered": coverage["classes_covered"],
                    "kl_fake_real": round(coverage["kl_fake_real"], 4),
                    "histogram": coverage["histogram"],
                }
            )
            print(json.dumps(results["runs"][-1]), file=sys.stderr)
    return results


GAME_DEFAULTS = {
    name: {"lr_d": config.lr_d, "d_steps": config.d_steps}
    for name, config in (
        ("dcgan", DCGANConfig()),
        ("wgan", WGANConfig()),
        ("wgan-gp", WGANGPConfig()),
    )
}


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Rank correlation (no ties expected in continuous distances)."""
    ranks_a = np.argsort(np.argsort(a)).astype(float)
    ranks_b = np.argsort(np.argsort(b)).astype(float)
    return float(np.corrcoef(ranks_a, ranks_b)[0, 1])


@torch.no_grad()
def nearby_codes(model: GenerativeModel, images: torch.Tensor, radii: list[float], seed: int):
    """Pixel change (RMS) of decoding z + r u against decoding z, u a random unit direction,
    in units of the codes' own spread (r is a multiple of the mean per-dimension std)."""
    generator = torch.Generator().manual_seed(seed)
    codes = model.encode(images)
    scale = codes.std(0).mean()
    base = model.decode(codes)
    direction = torch.randn(codes.shape, generator=generator)
    direction = direction / direction.norm(dim=1, keepdim=True)
    rows = []
    for radius in radii:
        moved = model.decode(codes + radius * scale * direction * codes.shape[1] ** 0.5)
        change = (flat_pixels(moved) - flat_pixels(base)).pow(2).mean(1).sqrt()
        rows.append(
            {"radius_in_code_std": radius, "pixel_rms_change": round(float(change.mean()), 4)}
        )
    # random pairs: distance between codes against distance between reconstructions
    order = torch.randperm(len(images), generator=generator)
    a, b = order[: len(order) // 2], order[len(order) // 2 : 2 * (len(order) // 2)]
    code_d = (codes[a] - codes[b]).norm(dim=1).numpy()
    pixel_d = (flat_pixels(base[a]) - flat_pixels(base[b])).norm(dim=1).numpy()
    pixels = flat_pixels(base).shape[1]
    pairs = {
        "rank_correlation_code_vs_pixel_distance": round(spearman(code_d, pixel_d), 4),
        "pixel_rms_between_random_pairs": round(float((pixel_d / pixels**0.5).mean()), 4),
    }
    return rows, pairs


@torch.no_grad()
def output_spread(model: GenerativeModel, images: torch.Tensor, draws: int, seed: int) -> dict:
    """Decode each image from ``draws`` codes; the mean pixel std across draws, and the share
    of images whose draws are not all identical. A VAE draws z ~ q(z|x); an AE has one code."""
    generator = torch.Generator().manual_seed(seed)
    if isinstance(model, VAE):
        mu, logvar = model.encode_distribution(images)
        codes = [reparameterize(mu, logvar, generator) for _ in range(draws)]
    else:
        codes = [model.encode(images) for _ in range(draws)]
    outputs = torch.stack([flat_pixels(model.decode(z)) for z in codes])  # (draws, N, pixels)
    spread = outputs.std(0)  # (N, pixels)
    return {
        "mean_pixel_std_across_draws": round(float(spread.mean()), 5),
        "share_of_images_that_vary": round(float((spread.amax(1) > 0).float().mean()), 4),
        "reconstruct_twice_max_difference": float(
            (model.reconstruct(images) - model.reconstruct(images)).abs().max()
        ),
    }


def latent_claims(args: argparse.Namespace) -> dict:
    data = data_options(args)
    test = load_data(data["spec"], data_dir=data["data_dir"], val_fraction=0.0).test
    images = test.images[: args.images].float() / 255.0
    radii = [0.0, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0]
    results: dict = {"steps": args.steps, "images": args.images, "models": {}}
    for model_type in ("ae", "vae"):
        options = {"latent_dim": 16, "hidden_channels": args.hidden}
        run_dir = args.out / f"latents-{model_type}"
        torch.manual_seed(args.seed)
        model, seconds = train_model(
            model_type, options, data, train_options(args, args.steps, 50), run_dir
        )
        model.eval()
        rows, pairs = nearby_codes(model, images, radii, args.seed)
        results["models"][model_type] = {
            "seconds": round(seconds, 1),
            "nearby_codes": rows,
            "random_pairs": pairs,
            "same_input_outputs": output_spread(model, images, args.draws, args.seed),
        }
        print(json.dumps(results["models"][model_type]), file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("claim", choices=("gan", "latents"))
    parser.add_argument("--data-dir", type=Path, default=None, help="holds fashion-mnist.npz")
    parser.add_argument("--out", type=Path, default=Path("runs/course-claims"))
    parser.add_argument("--json", type=Path, default=None, help="also write the JSON here")
    parser.add_argument("--steps", type=int, default=300, help="generator steps / AE steps")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--channels", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--hidden", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument("--games", nargs="+", default=list(GAMES), choices=list(GAMES))
    parser.add_argument("--balances", nargs="+", default=["default", "strong-d"],
                        choices=("default", "strong-d"))  # fmt: skip
    parser.add_argument("--strong-lr-factor", type=float, default=5.0)
    parser.add_argument("--strong-d-steps", type=int, default=3)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--draws", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results = gan_claims(args) if args.claim == "gan" else latent_claims(args)
    results["torch"] = torch.__version__
    print_json(results, args.json)


if __name__ == "__main__":
    main()
