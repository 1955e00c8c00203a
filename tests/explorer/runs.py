"""Tiny trained runs of every model family, for the explorer's tests (a few steps each)."""

from __future__ import annotations

from pathlib import Path

from latentforge.training.run import DataConfig, RunConfig, train
from tests.conftest import tiny_train_config

SMALL_GAN = {"z_dim": 8, "g_channels": (8, 4), "d_channels": (4, 8)}
SMALL_PAIRS = {"g_channels": (4, 8), "d_channels": (4, 8), "image_size": (12, 12)}
NO_DATA = "no-data"  # a data directory without the full datasets: the built-in sample is used

# model type -> (model options, data spec ("{npz}" = the tiny labelled .npz), data image size)
TINY_RUNS: dict[str, tuple[dict, str, tuple[int, int] | None]] = {
    "ae": ({"latent_dim": 4, "hidden_channels": (8, 16)}, "{npz}", None),
    "vae": ({"latent_dim": 4, "hidden_channels": (8, 16)}, "{npz}", None),
    "dbvae": (
        {"latent_dim": 4, "hidden_channels": (8, 16), "positive_classes": (5, 7)},
        "{npz}",
        None,
    ),
    "gan": ({"z_dim": 8, "g_hidden": (16,), "d_hidden": (16,)}, "{npz}", (16, 16)),
    "dcgan": (SMALL_GAN, "{npz}", (16, 16)),
    "wgan": (SMALL_GAN, "{npz}", (16, 16)),
    "wgan-gp": (SMALL_GAN, "{npz}", (16, 16)),
    "progan": (
        {"z_dim": 8, "max_channels": 8, "min_channels": 4, "stage_steps": 1},
        "{npz}",
        (16, 16),
    ),
    "pix2pix": (SMALL_PAIRS, "edges2fashion", None),
    "cyclegan": ({**SMALL_PAIRS, "residual_blocks": 1}, "sneaker2boot", None),
    "srgan": ({"width": 4, "blocks": 1, "d_channels": (4, 8)}, "{npz}", None),
    "inpainting": ({"g_widths": (4, 8), "dilations": (2,), "d_channels": (4, 8)}, "{npz}", None),
}


def train_explorer_run(root: Path, model_type: str, npz: Path) -> Path:
    """``model_type`` trained for two steps on small data into ``root / model_type``."""
    options, spec, size = TINY_RUNS[model_type]
    data = DataConfig(
        spec=spec.format(npz=npz),
        data_dir=str(root / NO_DATA),
        image_size=size,
        val_fraction=0.25,
    )
    run = RunConfig(
        model_type, dict(options), data, tiny_train_config(max_steps=2, batch_size=16, log_every=1)
    )
    return train(run, root / model_type)
