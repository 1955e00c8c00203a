"""Codes for the samples grid: prior draws with a temperature (models with an encoder) or a
truncation (generators).

- Temperature T: z = m + T (z' - m) with z' drawn from the model's latent Gaussian N(m, S),
  i.e. a draw from N(m, T^2 S); T < 1 gives more typical, T > 1 more unusual images.
- Truncation t (the truncation trick of BigGAN, Brock et al. 2019,
  https://arxiv.org/abs/1809.11096): every noise entry with |z_i| > t is drawn again until it
  falls inside [-t, t]; 0 means no truncation. Smaller t trades variety for fidelity.
"""

from __future__ import annotations

import torch
from torch import Tensor

from latentforge.errors import ConfigError
from latentforge.models.capabilities import Decodes, Encodes

MAX_REDRAWS = 64


def truncate(z: Tensor, threshold: float, draw) -> Tensor:
    """Redraw the entries of ``z`` outside ``[-threshold, threshold]`` with ``draw(shape)``;
    after :data:`MAX_REDRAWS` rounds the rest are clamped."""
    if threshold < 0:
        raise ConfigError(f"truncation must be >= 0 (0: none), got {threshold}")
    if threshold == 0:
        return z
    z = z.clone()
    for _ in range(MAX_REDRAWS):
        outside = z.abs() > threshold
        if not bool(outside.any()):
            return z
        z = torch.where(outside, draw(z.shape), z)
    return z.clamp(-threshold, threshold)


@torch.no_grad()
def sample_codes(
    model: Decodes, n: int, seed: int, temperature: float = 1.0, truncation: float = 0.0
) -> Tensor:
    """``n`` codes ``(n, D)``: tempered for an encoder's Gaussian, truncated for a generator."""
    if not 0.0 < temperature <= 10.0:
        raise ConfigError(f"temperature must be in (0, 10], got {temperature}")
    generator = torch.Generator(device=model.device).manual_seed(seed)
    z = model.sample_latent(n, generator)
    if isinstance(model, Encodes):
        mean = model.latent_prior()[0].to(z)
        return mean + temperature * (z - mean)
    return truncate(z, truncation, lambda shape: model.sample_latent(shape[0], generator))
