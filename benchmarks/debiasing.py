"""Debiasing benchmark: "is it footwear?" on Fashion-MNIST with one rare kind of footwear.

Training set (biased): ``--per-class`` images of each Fashion-MNIST class, except the rare
positive class (sandal by default), which keeps only ``--rare-share`` of the positives
(2%: 82 sandals beside 2,000 sneakers and 2,000 ankle boots). Positives: sandal 5, sneaker
7, ankle boot 9; negatives: the other seven classes. Test set: the whole Fashion-MNIST test
split, 1,000 images per class, so balanced across subgroups.

Subgroups are the ten classes. A subgroup's accuracy is the share of its test images
classified correctly: the recall for a footwear class, the specificity for another class.
Reported per model: the ten accuracies, their mean, their variance (population variance
over the ten) and the worst one, averaged over seeds.

Models (``--variants``), all the same encoder, initial weights and training budget:
  classifier      the encoder trained with the classification loss alone (no decoder)
  uniform         the DB-VAE loss, epochs drawn uniformly (--no-debias; alpha -> infinity)
  product:ALPHA   the DB-VAE with adaptive resampling, W = prod_i 1 / (Q_i + alpha) (paper)
  max:ALPHA       the same with the per-dimension maximum (--combine max)

    flock /tmp/latentforge-cpu.lock python benchmarks/debiasing.py --epochs 8 --seeds 0,1,2

Prints one JSON object per run, then the summary as JSON and as a Markdown table.
``--write-npz biased.npz`` writes the biased training set (and the test split) instead, so
that the same data can be used from the command line:

    latentforge train dbvae --data biased.npz --positive-classes 5,7,9 --combine max ...
    latentforge bias report RUN
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from _data import FASHION_MNIST, add_data_options, dataset_file
from latentforge.data import load_data
from latentforge.data.base import DataBundle, TensorImageSet
from latentforge.data.batching import iterate_batches
from latentforge.data.mnist_sets import FASHION_MNIST_CLASSES
from latentforge.models import DBVAE
from latentforge.models.dbvae import encode_batches
from latentforge.steps.phases import LossOutput
from latentforge.steps.train_config import TrainConfig
from latentforge.training.distributed import DistContext
from latentforge.training.engine import Trainer
from latentforge.training.run import build_for_data
from latentforge.utils.seeding import seed_everything

CLASSES = list(FASHION_MNIST_CLASSES)


class ClassifierOnly(DBVAE):
    """The DB-VAE's encoder trained with the classification loss alone, uniform epochs."""

    def batch_loss(self, batch):
        logit = self.classify(batch["images"])
        loss = F.binary_cross_entropy_with_logits(logit, self._target(batch))
        return LossOutput(loss, {"classification": loss.detach()})

    def after_epoch(self, train_batches) -> None:
        return None


def biased_bundle(args: argparse.Namespace) -> DataBundle:
    full = load_data(args.data, val_fraction=0.0, seed=0)
    labels = full.train.labels
    generator = torch.Generator().manual_seed(args.data_seed)
    n_common = args.per_class * (len(args.positives) - 1)
    n_rare = round(args.rare_share * n_common / (1 - args.rare_share))
    keep = []
    for c in range(10):
        members = torch.nonzero(labels == c).flatten()
        members = members[torch.randperm(len(members), generator=generator)]
        keep.append(members[: n_rare if c == args.rare else args.per_class])
    index = torch.cat(keep).sort().values
    train = TensorImageSet(*full.train.take(index))
    return DataBundle("biased-fashion-mnist", train, None, full.test, full.class_names)


def subgroup_accuracy(model, test, positives, batch_size=1000) -> list[float]:
    encoded = encode_batches(model, iterate_batches(test, batch_size, shuffle=False,
                                                    drop_last=False, num_workers=0))  # fmt: skip
    predicted = (encoded.logits > 0).numpy()
    labels = encoded.labels.numpy()
    truth = np.isin(labels, positives)
    return [float((predicted[labels == c] == truth[labels == c]).mean()) for c in range(10)]


def train_one(variant: str, seed: int, data, args) -> dict:
    kind, _, value = variant.partition(":")
    alpha = float(value) if value else None
    options = {
        "latent_dim": args.latent_dim,
        "hidden_channels": list(args.hidden_channels),
        "positive_classes": list(args.positives),
        "bins": args.bins,
        "alpha": alpha if alpha is not None else 0.01,
        "debias": alpha is not None,
        "combine": kind if alpha is not None else "product",
        "beta": args.beta,
    }
    config = build_for_data("dbvae", options, data).config
    seed_everything(seed)  # the same initial weights for every variant
    model = (ClassifierOnly if variant == "classifier" else DBVAE)(config)
    cfg = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=seed,
                      device="cpu", log_every=10_000, progress=False, tensorboard=False,
                      num_workers=0)  # fmt: skip
    seed_everything(seed)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as run_dir:
        trainer = Trainer(model, data, cfg, run_dir, DistContext())
        trainer.fit()
    seconds = time.perf_counter() - start
    accuracy = subgroup_accuracy(model, data.test, args.positives)
    record = {
        "variant": variant,
        "seed": seed,
        "train_seconds": round(seconds, 1),
        "accuracy": [round(a, 4) for a in accuracy],
        "mean": float(np.mean(accuracy)),
        "variance": float(np.var(accuracy)),
        "worst": float(np.min(accuracy)),
    }
    if trainer.sampling_weights is not None:
        w, labels = trainer.sampling_weights, data.train.labels
        positive = torch.isin(labels, torch.tensor(args.positives))
        record["rare_share_of_positive_draws"] = float(
            w[labels == args.rare].sum() / w[positive].sum()
        )
        drawn = w[positive] / w[positive].sum()
        record["positive_ess_fraction"] = float(1 / drawn.square().sum() / positive.sum())
    return record


def summarise(records: list[dict]) -> list[dict]:
    rows = []
    for variant in dict.fromkeys(r["variant"] for r in records):
        runs = [r for r in records if r["variant"] == variant]
        row = {"variant": variant, "seeds": len(runs)}
        for key in ("mean", "variance", "worst"):
            values = [r[key] for r in runs]
            row[key] = statistics.fmean(values)
            row[key + "_sd"] = statistics.stdev(values) if len(values) > 1 else 0.0
        row["per_class"] = [statistics.fmean(r["accuracy"][c] for r in runs) for c in range(10)]
        for key in ("rare_share_of_positive_draws", "positive_ess_fraction"):
            if key in runs[0]:
                row[key] = statistics.fmean(r[key] for r in runs)
        rows.append(row)
    return rows


def markdown(rows: list[dict], args) -> str:
    head = ["model", "mean acc.", "variance (x1e-3)", "worst group"] + [
        CLASSES[c] + ("*" if c in args.positives else "") for c in range(10)
    ] + [f"{CLASSES[args.rare]} share of positive draws", "ESS / positives"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        share = row.get("rare_share_of_positive_draws")
        ess = row.get("positive_ess_fraction")
        cells = [
            row["variant"],
            f"{row['mean']:.4f} ± {row['mean_sd']:.4f}",
            f"{1e3 * row['variance']:.2f} ± {1e3 * row['variance_sd']:.2f}",
            f"{row['worst']:.4f} ± {row['worst_sd']:.4f}",
            *(f"{a:.3f}" for a in row["per_class"]),
            "-" if share is None else f"{share:.3f}",
            "-" if ess is None else f"{ess:.2f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    ints = lambda text: tuple(int(v) for v in text.split(","))  # noqa: E731
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_options(parser, FASHION_MNIST)
    parser.add_argument("--positives", type=ints, default=(5, 7, 9))
    parser.add_argument("--rare", type=int, default=5, help="the rare positive class")
    parser.add_argument("--rare-share", type=float, default=0.02, help="its share of positives")
    parser.add_argument("--per-class", type=int, default=2000, help="train images per class")
    parser.add_argument("--data-seed", type=int, default=0)
    parser.add_argument("--variants", type=lambda t: t.split(","),
                        default=["classifier", "uniform", "product:1", "product:0.3",
                                 "product:0.1", "max:0.01", "max:0.001"])  # fmt: skip
    parser.add_argument("--seeds", type=ints, default=(0, 1, 2))
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--latent-dim", type=int, default=8)
    parser.add_argument("--hidden-channels", type=ints, default=(16, 32, 64))
    parser.add_argument("--bins", type=int, default=10)
    parser.add_argument("--beta", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument(
        "--write-npz",
        type=Path,
        default=None,
        help="only write the biased train split and the test split to this .npz (for the CLI)",
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    args.data = dataset_file(args, FASHION_MNIST)
    torch.set_num_threads(args.threads)
    data = biased_bundle(args)
    if args.write_npz is not None:
        np.savez_compressed(
            args.write_npz,
            x_train=data.train.images[:, 0].numpy(),
            y_train=data.train.labels.numpy(),
            x_test=data.test.images[:, 0].numpy(),
            y_test=data.test.labels.numpy(),
            class_names=np.array(CLASSES),
        )
        print(f"wrote {args.write_npz}")
        return
    counts = torch.bincount(data.train.labels, minlength=10).tolist()
    print(json.dumps({"train_counts": counts, "test_counts": [1000] * 10}), flush=True)
    for variant in args.variants:
        kind, _, value = variant.partition(":")
        if kind not in ("classifier", "uniform", "product", "max") or (
            bool(value) != (kind in ("product", "max"))
        ):
            raise SystemExit(f"unknown variant {variant!r}; see --help")
    records = []
    for seed in args.seeds:
        for variant in args.variants:
            records.append(train_one(variant, seed, data, args))
            print(json.dumps(records[-1]), flush=True)
    rows = summarise(records)
    result = {"options": {k: v for k, v in vars(args).items() if k != "json"}, "runs": records,
              "summary": rows, "train_counts": counts}  # fmt: skip
    print(json.dumps({"summary": rows}, default=str))
    print(markdown(rows, args))
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
