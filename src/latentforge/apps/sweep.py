"""Train one model per value of an option and measure each: the latent-size study.

    OUT/latent-dim-8/    a run directory per value (``latentforge.training.run.train``)
    OUT/sweep.json       one record per value: the measurements below
    OUT/sweep.md         the same as a markdown table
    OUT/sweep.png        each measurement against the swept value

Measured on the first ``eval_images`` images of the evaluation split:

* ``recon_mse``: mean squared pixel error of decode(encode(x)) (the VAE decodes its mean code);
* ``frechet``: Frechet distance between features of as many samples and of those images
  (``apps.sample_features``; the feature function is named in every record);
* ``active_dims``, ``tc_gaussian`` and, for a VAE, ``kl`` (mean KL per image) and
  ``tc_aggregate`` (``apps.independence``).

A bigger latent should reconstruct better; sample quality need not follow, since a wide
latent space is harder to fill with the prior (Kingma & Welling 2014,
https://arxiv.org/abs/1312.6114, Fig. 2 shows the bound improving with latent size).

An existing run directory of the right model and value is resumed (finished runs are just
measured again); one that holds another run is refused unless ``overwrite``.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from latentforge.apps.independence import independence_report
from latentforge.apps.latent_codes import encode_images, take_images
from latentforge.apps.sample_features import FeatureFunction, features_of, resolve_features
from latentforge.errors import ConfigError
from latentforge.metrics.frechet import frechet_distance_from_features
from latentforge.training.checkpoint import CHECKPOINTS, load_model
from latentforge.training.run import RunConfig, train
from latentforge.utils.files import atomic_write_bytes, atomic_write_json, atomic_write_text
from latentforge.viz.latent_plots import plot_sweep

# option name -> (config field, value type)
SWEEPS: dict[str, tuple[str, type]] = {"latent-dim": ("latent_dim", int), "beta": ("beta", float)}
COLUMNS = ("recon_mse", "frechet", "active_dims", "tc_gaussian", "kl", "tc_aggregate")


def parse_sweep_values(parameter: str, text: str) -> list[Any]:
    """``"2,4,8"`` -> ``[2, 4, 8]`` for a sweepable option, with errors naming the fix."""
    if parameter not in SWEEPS:
        raise ConfigError(f"cannot sweep {parameter!r}; sweepable: {', '.join(SWEEPS)}")
    kind = SWEEPS[parameter][1]
    try:
        values = [kind(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(
            f"sweep values must be comma-separated {kind.__name__}s, got {text!r}"
        ) from None
    if len(values) < 1 or len(set(values)) != len(values):
        raise ConfigError(f"give distinct sweep values, e.g. 2,4,8; got {text!r}")
    return values


def _train_point(run: RunConfig, run_dir: Path, field: str, overwrite: bool) -> bool:
    """Train (or resume) one point; True when an existing run was reused."""
    if overwrite or not (run_dir / CHECKPOINTS).is_dir():
        train(run, run_dir, overwrite=overwrite)
        return False
    saved = RunConfig.read(run_dir)
    if saved.model_type != run.model_type or saved.model.get(field) != run.model.get(field):
        raise ConfigError(
            f"{run_dir} holds another run ({saved.model_type}, {field}="
            f"{saved.model.get(field)}); pass --overwrite or choose another --out"
        )
    limits = {"epochs": run.train.epochs, "max_steps": run.train.max_steps}
    train(None, run_dir, resume=True, overrides=limits)
    return True


@torch.no_grad()
def evaluate_point(
    model: Any,
    images: Tensor,
    features: FeatureFunction,
    real_features: np.ndarray,
    seed: int = 0,
    batch_size: int = 500,
) -> dict[str, Any]:
    """The module docstring's measurements for one model on ``images`` (N, C, H, W)."""
    errors = [
        (model.reconstruct(part) - part).square().flatten(1).mean(1)
        for part in images.split(batch_size)
    ]
    generator = torch.Generator(device=images.device).manual_seed(seed)
    samples = torch.cat(
        [model.sample(part.shape[0], generator) for part in images.split(batch_size)]
    )
    fake_features = features_of(features, samples, batch_size)
    encoded = encode_images(model, images, batch_size)
    numbers = independence_report(encoded, ica=False, seed=seed).numbers
    record = {
        "recon_mse": float(torch.cat(errors).mean()),
        "frechet": frechet_distance_from_features(real_features, fake_features),
        "active_dims": numbers["active_dims"],
        "tc_gaussian": numbers["tc_gaussian"],
    }
    if encoded.logvars is not None:
        record["kl"] = float(sum(numbers["kl_per_dim"]))
        record["tc_aggregate"] = numbers["tc_aggregate"]
    return record


def run_sweep(
    parameter: str,
    values: list[Any],
    base: RunConfig,
    out_dir: str | Path,
    features: str | FeatureFunction = "auto",
    eval_images: int = 10_000,
    eval_split: str = "test",
    overwrite: bool = False,
    device: torch.device | str = "cpu",
) -> list[dict[str, Any]]:
    """Train ``base`` once per value of ``parameter`` and measure each; write the outputs."""
    if eval_images < 2:
        raise ConfigError(f"--eval-images must be >= 2, got {eval_images}")
    field = SWEEPS[parameter][0]
    out_dir = Path(out_dir)
    data = base.data.load(base.train.seed)
    split = eval_split if getattr(data, eval_split, None) is not None else "val"
    image_set = data.split(split)
    images = take_images(image_set, torch.arange(min(eval_images, len(image_set))), device)
    if callable(features):
        feature_fn, feature_name = features, getattr(features, "name", "custom")
    else:
        feature_fn, feature_name = resolve_features(features, images, device)
    real_features = features_of(feature_fn, images)
    records = []
    for value in values:
        run = dataclasses.replace(base, model={**base.model, field: value})
        run_dir = out_dir / f"{parameter}-{value}"
        started = time.perf_counter()
        reused = _train_point(run, run_dir, field, overwrite)
        seconds = time.perf_counter() - started
        model = load_model(run_dir, device)
        record = {parameter: value, "run": str(run_dir), "train_seconds": round(seconds, 1)}
        record["reused"] = reused
        record.update(evaluate_point(model, images, feature_fn, real_features, base.train.seed))
        record.update({"features": feature_name, "eval_split": split, "eval_images": len(images)})
        records.append(record)
    write_sweep_outputs(records, parameter, out_dir)
    return records


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def sweep_table(records: list[dict[str, Any]], parameter: str) -> str:
    """The records as a markdown table: the swept value, then the measured columns."""
    columns = [parameter, *[c for c in COLUMNS if any(c in r for r in records)], "train_seconds"]
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(_cell(r.get(c)) for c in columns) + " |" for r in records]
    first = records[0]
    note = (
        f"\nMeasured on {first['eval_images']} images of the {first['eval_split']} split; "
        f"Frechet distance on `{first['features']}` features.\n"
    )
    return "\n".join(lines) + "\n" + note


def write_sweep_outputs(
    records: list[dict[str, Any]], parameter: str, out_dir: Path
) -> dict[str, Path]:
    """``sweep.json``, ``sweep.md`` and ``sweep.png`` in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    x = [r[parameter] for r in records]
    panels = {c: [r.get(c) for r in records] for c in COLUMNS if any(c in r for r in records)}
    powers = all(isinstance(v, int) and v > 0 and v & (v - 1) == 0 for v in x)
    return {
        "json": atomic_write_json(
            out_dir / "sweep.json", {"parameter": parameter, "runs": records}
        ),
        "table": atomic_write_text(out_dir / "sweep.md", sweep_table(records, parameter)),
        "plot": atomic_write_bytes(
            out_dir / "sweep.png", plot_sweep(x, panels, parameter, log_x=powers and len(x) > 1)
        ),
    }
