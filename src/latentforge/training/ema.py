"""Exponential moving average of weights (Polyak averaging; used for GAN generators,
e.g. Karras et al. 2018, https://arxiv.org/abs/1710.10196):

    theta_ema <- d * theta_ema + (1 - d) * theta.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class EMA:
    """Keeps an averaged copy of ``module``'s floating-point parameters and buffers."""

    def __init__(self, module: nn.Module, decay: float) -> None:
        self.decay = decay
        self.shadow = {k: v.detach().clone() for k, v in module.state_dict().items()}

    @torch.no_grad()
    def update(self, module: nn.Module) -> None:
        for key, value in module.state_dict().items():
            shadow = self.shadow[key]
            if value.dtype.is_floating_point:
                shadow.lerp_(value.detach(), 1.0 - self.decay)
            else:
                shadow.copy_(value)

    def state_dict(self) -> dict[str, Tensor]:
        return self.shadow

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        for key, value in state.items():
            self.shadow[key].copy_(value)
