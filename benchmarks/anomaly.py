"""One-class anomaly detection on Fashion-MNIST: AUROC per class and the mean.

The standard protocol (Ruff et al. 2018, http://proceedings.mlr.press/v80/ruff18a.html; Golan &
El-Yaniv 2018, https://arxiv.org/abs/1805.10917): for each class c, train on the 6,000 training
images of class c only (``--classes c``), score all 10,000 test images, and count the 9,000 of
the other nine classes as anomalies. For each trained model every applicable score is measured
(ae: recon, ssim; vae: recon, ssim, elbo, elbo-excess); the threshold (95th percentile of the
training scores) gives the false-positive rate and recall on the test split.

Prints one JSON record per (model, class) and appends it to ``--results`` (JSONL); with
``--skip-done`` finished pairs are not trained again. ``--summary`` prints the table.

    flock /tmp/latentforge-cpu.lock env PYTHONPATH=src python benchmarks/anomaly.py
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from _data import FASHION_MNIST, add_data_options, dataset_file
from _runs import train_model
from latentforge.apps.anomaly import ThresholdRule, anomaly_scores, detection_metrics
from latentforge.data import load_data
from latentforge.training.checkpoint import load_model
from latentforge.training.run import DataConfig

SCORES_BY_MODEL = {
    "ae": ("recon", "ssim", "latent", "recon-latent"),
    "vae": ("recon", "ssim", "latent", "recon-latent", "elbo", "elbo-excess"),
}


def evaluate(model, model_type, train_set, test_set, normal_class, samples) -> dict:
    is_anomaly = test_set.labels.numpy() != normal_class
    record = {}
    for score in SCORES_BY_MODEL[model_type]:
        train_scores = anomaly_scores(model, train_set, score, samples=samples)
        test_scores = anomaly_scores(model, test_set, score, samples=samples)
        threshold = ThresholdRule("percentile", 95).threshold(train_scores)
        metrics = detection_metrics(test_scores, is_anomaly, test_scores > threshold)
        record[score] = {
            "auroc": round(metrics["auroc"], 4),
            "auprc": round(metrics["auprc"], 4),
            "fpr_at_p95": round(metrics["false_positive_rate"], 4),
            "recall_at_p95": round(metrics["recall_at_threshold"], 4),
        }
    return record


def summary(results_path: Path) -> str:
    records = [json.loads(line) for line in results_path.read_text().splitlines() if line]
    lines = []
    for model_type in sorted({r["model"] for r in records}):
        rows = sorted((r for r in records if r["model"] == model_type), key=lambda r: r["class"])
        for score in SCORES_BY_MODEL[model_type]:
            aurocs = [r["scores"][score]["auroc"] for r in rows]
            lines.append(
                f"{model_type} {score}: "
                + " ".join(f"{a:.3f}" for a in aurocs)
                + f" | mean {np.mean(aurocs):.4f} ({len(aurocs)} classes)"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_data_options(parser, FASHION_MNIST)
    parser.add_argument("--models", default="ae,vae")
    parser.add_argument("--classes", default="0,1,2,3,4,5,6,7,8,9")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--latent-dim", type=int, default=16)
    parser.add_argument("--hidden-channels", default="32,64,128")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--beta", type=float, default=1.0, help="the vae's KL weight")
    parser.add_argument("--elbo-samples", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=Path, default=Path("/tmp/latentforge-bench/anomaly"))
    parser.add_argument(
        "--results", type=Path, default=Path("/tmp/latentforge-bench/anomaly.jsonl")
    )
    parser.add_argument("--skip-done", action="store_true")
    parser.add_argument(
        "--rescore",
        action="store_true",
        help="score the runs already in --runs instead of training them again",
    )
    parser.add_argument("--summary", action="store_true", help="print the table and stop")
    args = parser.parse_args(argv)
    args.data = dataset_file(args, FASHION_MNIST)
    if args.summary:
        print(summary(args.results))
        return 0
    torch.set_num_threads(args.threads)
    test_set = load_data(args.data, val_fraction=0.0).split("test")
    hidden = tuple(int(c) for c in args.hidden_channels.split(","))
    done = set()
    if args.skip_done and args.results.is_file():
        for line in args.results.read_text().splitlines():
            record = json.loads(line)
            done.add((record["model"], record["class"]))
    for model_type in args.models.split(","):
        options = {"latent_dim": args.latent_dim, "hidden_channels": hidden}
        if model_type == "vae":
            options["beta"] = args.beta
        for normal_class in (int(c) for c in args.classes.split(",")):
            if (model_type, normal_class) in done:
                continue
            data = {"spec": str(args.data), "val_fraction": 0.0, "classes": (normal_class,)}
            run_dir = args.runs / f"{model_type}-class{normal_class}"
            if args.rescore:
                model, seconds = load_model(run_dir), None
            else:
                model, seconds = train_model(
                    model_type,
                    options,
                    data,
                    {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr},
                    run_dir,
                )
            train_set = DataConfig(**data).load(seed=0).train
            record = {
                "model": model_type,
                "class": normal_class,
                "options": options,
                "epochs": args.epochs,
                "train_seconds": None if seconds is None else round(seconds, 1),
                "scores": evaluate(
                    model, model_type, train_set, test_set, normal_class, args.elbo_samples
                ),
            }
            print(json.dumps(record), flush=True)
            args.results.parent.mkdir(parents=True, exist_ok=True)
            with args.results.open("a") as handle:
                handle.write(json.dumps(record) + "\n")
    print(summary(args.results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
