"""Deliberately broken tiny GAN runs through the engine raise the matching health warning
(in ``warnings.jsonl``, which the run report shows)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from latentforge.models import GAN, GANConfig
from latentforge.steps.health import MODE_COLLAPSE, VANISHING, HealthThresholds
from latentforge.utils.run_logs import read_warnings

from .gan_helpers import run_engine, tiny_bundle

# A discriminator much stronger than the generator: wider, faster and trained 3x as often.
STRONG_D = {
    "image_size": (12, 12),
    "z_dim": 8,
    "g_hidden": (32,),
    "d_hidden": (64, 64),
    "d_steps": 3,
    "lr_d": 2e-3,
    "lr_g": 2e-4,
}


def _kinds(run_dir) -> list[str]:
    return [w["kind"] for w in read_warnings(run_dir)]


def test_saturating_minimax_against_a_strong_discriminator_vanishes(tmp_path) -> None:
    torch.manual_seed(0)
    broken = GAN(GANConfig(loss="minimax", **STRONG_D))
    run_engine(broken, tmp_path / "minimax", tiny_bundle(256), max_steps=24, log_every=3, epochs=9)
    assert VANISHING in _kinds(tmp_path / "minimax")

    # the same game with the non-saturating generator loss keeps its gradient
    torch.manual_seed(0)
    fixed = GAN(GANConfig(loss="non-saturating", **STRONG_D))
    run_engine(fixed, tmp_path / "ns", tiny_bundle(256), max_steps=24, log_every=3, epochs=9)
    assert VANISHING not in _kinds(tmp_path / "ns")


class ConstantGenerator(nn.Module):
    """Ignores its noise: one learned image for every z, total mode collapse."""

    def __init__(self, z_dim: int, shape: tuple[int, int, int]) -> None:
        super().__init__()
        self.z_dim = z_dim
        self.image = nn.Parameter(torch.zeros(shape))

    def forward(self, z: Tensor) -> Tensor:
        return torch.tanh(self.image).expand(z.shape[0], *self.image.shape)


def test_a_generator_that_ignores_its_noise_is_reported_as_mode_collapse(tmp_path) -> None:
    config = GANConfig(image_size=(12, 12), z_dim=4, d_hidden=(16,))
    model = GAN(config, generator=ConstantGenerator(4, (1, 12, 12)))
    model.health_thresholds = HealthThresholds(grace_steps=4)
    run_engine(model, tmp_path, max_steps=8, log_every=1, epochs=4)
    warnings = read_warnings(tmp_path)
    collapse = [w for w in warnings if w["kind"] == MODE_COLLAPSE]
    assert len(collapse) == 1 and collapse[0]["step"] == 6  # steps 4, 5, 6 past the grace
    assert "0.00 times as diverse" in collapse[0]["message"]
