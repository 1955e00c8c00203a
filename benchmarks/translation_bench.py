"""Pieces the translation benchmarks (pix2pix.py, cyclegan.py) share: a training run through
the engine, its throughput, batched translation and classifier outputs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch

from _runs import cpu_train_config, rate_records
from latentforge.training.run import DataConfig, RunConfig, train


def train_run(
    model_type: str,
    spec: str,
    options: dict[str, Any],
    run_dir: Path,
    data_dir: Path,
    steps: int,
    batch_size: int,
    seed: int,
) -> float:
    """Train ``model_type`` on ``--data spec`` for ``steps`` cycles (1% held out for
    validation); return the wall-clock seconds, data loading included."""
    run = RunConfig(
        model_type=model_type,
        model=options,
        data=DataConfig(spec=spec, data_dir=str(data_dir), val_fraction=0.01),
        train=cpu_train_config(
            epochs=1000, max_steps=steps, batch_size=batch_size, seed=seed, log_every=100
        ),
    )
    start = time.perf_counter()
    train(run, run_dir, overwrite=True)
    return time.perf_counter() - start


def mean_throughput(run_dir: Path) -> float:
    """The mean of the images per second logged over a run's training intervals."""
    rates = [r["images_per_s"] for r in rate_records(run_dir)]
    return sum(rates) / max(1, len(rates))


@torch.no_grad()
def translate_all(model, images: torch.Tensor, direction: str = "a2b") -> torch.Tensor:
    """``model.translate`` 500 images at a time."""
    return torch.cat([model.translate(chunk, direction) for chunk in images.split(500)])


@torch.no_grad()
def features_and_logits(net: torch.nn.Module, images: torch.Tensor):
    """A ``benchmarks/gan_class_coverage.py`` classifier's penultimate 128-d features (numpy)
    and its logits, 500 images at a time."""
    feats, logits = [], []
    for chunk in images.split(500):
        hidden = net[:-1](chunk)  # (n, 128): after the last ReLU
        feats.append(hidden)
        logits.append(net[-1](hidden))
    return torch.cat(feats).numpy(), torch.cat(logits)
