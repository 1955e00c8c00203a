"""Sample quality of each model family on full Fashion-MNIST, with a fixed training budget.

    flock /tmp/latentforge-cpu.lock python benchmarks/quality.py \
        --data ../shared/datasets/fashion-mnist.npz --epochs 3 --models ae,vae,beta-vae

Each row trains one model on the 60,000 train images for ``--epochs`` epochs (seed 0), then
evaluates its newest checkpoint against the 10,000 test images: ``--n`` samples through the
shipped classifier's features (Frechet distance, KID, precision, recall, density, coverage,
mode coverage), the importance-weighted NLL where the model has an encoder distribution (VAEs),
and reconstruction error where it reconstructs. Rows whose model type is not registered (GANs
before they are merged) are skipped with a note. Results accumulate in ``OUT/results.json``,
so rows can be measured in separate runs; the table of every row measured so far is written
to ``--doc`` (``docs/benchmarks/quality.md``) and printed as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import torch

from _data import FASHION_MNIST, add_data_options, dataset_file
from latentforge.evaluation import EvaluationConfig
from latentforge.evaluation.run import evaluate_run
from latentforge.metrics.features.classifier import read_card, shipped_paths
from latentforge.models import MODELS
from latentforge.steps.train_config import TrainConfig
from latentforge.training.run import DataConfig, RunConfig, train
from latentforge.utils.files import atomic_write_json, atomic_write_text
from latentforge.utils.run_logs import read_metrics

# row name -> (model type, model options, training options that differ from the defaults)
ROWS: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "ae": ("ae", {"latent_dim": 16}, {}),
    "vae": ("vae", {"latent_dim": 16}, {}),
    "beta-vae": ("vae", {"latent_dim": 16, "beta": 4.0}, {}),
    "dcgan": ("dcgan", {}, {"lr": 2e-4, "batch_size": 64}),
    "wgan": ("wgan", {}, {"lr": 5e-5, "batch_size": 64}),
    "wgan-gp": ("wgan-gp", {}, {"lr": 1e-4, "batch_size": 64}),
}
DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks" / "quality.md"


def mean_images_per_s(run_dir: Path, train_seconds: float) -> float:
    """Training throughput: the mean of the logged windows after the first (warm-up), or,
    for runs too short to log one, images seen over the whole training time."""
    records = read_metrics(run_dir)
    values = [r["images_per_s"] for r in records if "images_per_s" in r]
    values = values[1:] or values
    if values:
        return sum(values) / len(values)
    seen = max((r.get("images_seen", 0) for r in records), default=0)
    return seen / train_seconds


def measure(row: str, args: argparse.Namespace) -> dict[str, Any]:
    model_type, model_options, train_options = ROWS[row]
    run_dir = args.out / row
    run = RunConfig(
        model_type,
        dict(model_options),
        DataConfig(spec=str(args.data), val_fraction=0.0),
        TrainConfig(
            epochs=args.epochs,
            seed=args.seed,
            device=args.device,
            progress=False,
            num_workers=0,
            **{"batch_size": 128, **train_options},
        ),
    )
    start = time.perf_counter()
    train(run, run_dir, overwrite=True)
    train_s = time.perf_counter() - start
    config = EvaluationConfig(n=args.n, seed=args.seed, nll_k=args.nll_k, nll_images=1000)
    result = evaluate_run(run_dir, config, split="test", device=args.device, progress=False)
    return {
        "model_type": model_type,
        "model": model_options,
        "epochs": args.epochs,
        "train_seconds": train_s,
        "train_images_per_s": mean_images_per_s(run_dir, train_s),
        "evaluation": result.to_dict(),
    }


def _cell(metrics: dict[str, Any], name: str, digits: str = ".3f") -> str:
    value = metrics.get(name)
    return "n/a" if value is None else format(float(value), digits)


def table(results: dict[str, Any]) -> str:
    header = (
        "| model | epochs | train img/s | Frechet (classifier) | KID x 1e3 | precision | recall "
        "| density | coverage | modes | NLL nats (bits/dim) | recon PSNR dB |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    lines = []
    for row, entry in results.items():
        m = entry["evaluation"]["metrics"]
        kid = m.get("kid_mean")
        nll = "n/a"
        if "nll_nats" in m:
            nll = f"{float(m['nll_nats']):.1f} ({float(m['nll_bpd']):.3f})"
        modes = "n/a"
        if "classes_covered" in m:
            modes = f"{int(m['classes_covered'])}/{int(m['num_classes'])}"
        speed = entry["train_images_per_s"]
        cells = [
            row,
            str(entry["epochs"]),
            f"{speed:.0f}",
            _cell(m, "fid", ".2f"),
            "n/a" if kid is None else f"{float(kid) * 1e3:.2f}",
            _cell(m, "precision"),
            _cell(m, "recall"),
            _cell(m, "density"),
            _cell(m, "coverage"),
            modes,
            nll,
            _cell(m, "recon_psnr", ".2f"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return header + "\n".join(lines) + "\n"


def write_doc(
    path: Path, results: dict[str, Any], skipped: list[str], command: str, nll_k: int
) -> None:
    card = read_card(shipped_paths()[1])
    first = next(iter(results.values()), None)
    rows = "; ".join(
        f"{row}: `{kind}` {options or 'defaults'}" for row, (kind, options, _) in ROWS.items()
    )
    info = first["evaluation"]["info"] if first else {}
    text = f"""# Sample quality on Fashion-MNIST

Measured by `benchmarks/quality.py`: each model trains on the 60,000 Fashion-MNIST train images
for a fixed number of epochs (seed 0, batch 128 unless noted in the script), then its newest
checkpoint is evaluated against {info.get("num_real", 0):,} test images with
{info.get("num_generated", 0):,} generated samples. A budget of a few epochs on a CPU is far from
convergence: the table compares families at equal cost, it does not show their best.

Reproduce (the rows measured here were run one or more at a time, under the CPU lock):

```
{command}
```

{table(results)}
- **Rows** (model type, options): {rows}.
- **Features**: the shipped classifier (`--features classifier`, {card["config"]["widths"][-1]}-d
  pooled activations; test accuracy {card["test_accuracy"]:.2%}). The "Frechet" column is the
  Frechet distance in *these* features, not FID: do not compare it with published FID values,
  which use Inception-v3 features.
- **KID**: unbiased MMD^2 with the cubic kernel, mean over 100 subsets of 1000, times 1000.
- **precision / recall** (k = 3), **density / coverage** (k = 5) on {info.get("num_real", 0):,} real
  vs {info.get("num_generated", 0):,} generated features.
- **modes**: classes that at least one sample is classified as, out of 10.
- **NLL**: importance-weighted estimate with k = {nll_k}
  on 1,000 test images, in nats per image (bits per dimension); VAEs only. The VAEs use a
  Bernoulli decoder on grey-level pixels (the usual cross-entropy surrogate), so these are not
  densities of 8-bit images and are comparable only between rows.
- **recon PSNR**: reconstructions of the test images (autoencoders only).
- **train img/s**: mean training throughput ({platform.machine()}, {os.cpu_count()} cores,
  torch {torch.__version__}, CPU), measured under the shared CPU lock.
"""
    if skipped:
        text += f"\nNot measured: {', '.join(skipped)} (model type not registered in this build).\n"
    atomic_write_text(path, text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_options(parser, FASHION_MNIST)
    parser.add_argument("--models", default=",".join(ROWS))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("-n", "--n", type=int, default=10_000)
    parser.add_argument("--nll-k", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=Path("/tmp/latentforge-quality"))
    parser.add_argument("--doc", type=Path, default=DOC)
    args = parser.parse_args()
    args.data = dataset_file(args, FASHION_MNIST)

    # --models "" measures nothing and rewrites the doc from the stored results.
    rows = [name.strip() for name in args.models.split(",") if name.strip()]
    unknown = [row for row in rows if row not in ROWS]
    if unknown:
        parser.error(f"unknown rows {unknown}; choose from {', '.join(ROWS)}")
    results_path = args.out / "results.json"
    results = json.loads(results_path.read_text()) if results_path.is_file() else {}
    skipped = []
    for row in rows:
        if ROWS[row][0] not in MODELS:
            print(f"skipping {row}: no model type {ROWS[row][0]!r} is registered", file=sys.stderr)
            skipped.append(row)
            continue
        results[row] = measure(row, args)
        atomic_write_json(results_path, results)
    ordered = {row: results[row] for row in ROWS if row in results}
    command = "flock /tmp/latentforge-cpu.lock " + shlex.join(
        ["python", "benchmarks/quality.py", "--data", str(args.data), "--epochs",
         str(args.epochs), "--models", ",".join(ROWS), "-n", str(args.n)]
    )  # fmt: skip
    write_doc(args.doc, ordered, [r for r in ROWS if r not in ordered], command, args.nll_k)
    print(json.dumps(ordered, indent=2))


if __name__ == "__main__":
    main()
