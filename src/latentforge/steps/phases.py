"""How a model states its optimisation: a list of phases the engine runs in turn.

A *cycle* runs every phase once; a phase takes ``steps`` optimiser steps, each on a fresh
batch when ``uses_data`` is true. A VAE is one phase; a GAN is "discriminator k steps,
then generator m steps" (Goodfellow et al. 2014, Algorithm 1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from latentforge.errors import ConfigError
from latentforge.registry import Registry

Batch = dict[str, Tensor]


@dataclass
class LossOutput:
    """A scalar loss to minimise and detached values to log (``{"kl": ..., "recon": ...}``)."""

    loss: Tensor
    logs: dict[str, Tensor | float] = field(default_factory=dict)


@dataclass
class OptimizerSpec:
    """An optimiser by name and its settings; the engine builds it and owns its state."""

    name: str = "adam"
    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 0.0
    momentum: float = 0.0
    eps: float = 1e-8


def _adam_like(optimizer: type[torch.optim.Optimizer]) -> Callable[..., torch.optim.Optimizer]:
    """Build Adam or AdamW from an ``OptimizerSpec``: the two take the same settings."""
    return lambda p, s, **kernel: optimizer(
        p, lr=s.lr, betas=s.betas, eps=s.eps, weight_decay=s.weight_decay, **kernel
    )


OPTIMIZERS: Registry = Registry("optimizer")
OPTIMIZERS.add("adam", _adam_like(torch.optim.Adam))
OPTIMIZERS.add("adamw", _adam_like(torch.optim.AdamW))
OPTIMIZERS.add(
    "rmsprop",
    lambda p, s, **kernel: torch.optim.RMSprop(
        p, lr=s.lr, eps=s.eps, weight_decay=s.weight_decay, momentum=s.momentum, **kernel
    ),
)
OPTIMIZERS.add(
    "sgd",
    lambda p, s, **kernel: torch.optim.SGD(
        p, lr=s.lr, momentum=s.momentum, weight_decay=s.weight_decay, **kernel
    ),
)


def build_optimizer(
    params: list[nn.Parameter], spec: OptimizerSpec, **kernel: bool
) -> torch.optim.Optimizer:
    """The optimiser ``spec`` names over ``params``; ``kernel`` is ``fused=True`` or
    ``foreach=True/False`` (see ``latentforge.training.fast_path``)."""
    if spec.lr <= 0:
        raise ConfigError(f"learning rate must be positive, got {spec.lr}")
    return OPTIMIZERS.get(spec.name)(params, spec, **kernel)


@dataclass
class Phase:
    """One part of a training cycle.

    Attributes:
        name: shown in logs (``"vae"``, ``"discriminator"``, ``"generator"``).
        parameters: what this phase's optimiser updates; other parameters are frozen
            (``requires_grad=False``) while it runs, so no gradient is wasted on them.
        optimizer: the optimiser to build for ``parameters``.
        loss: ``loss(batch) -> LossOutput``.
        steps: optimiser steps per cycle, or a function ``cycle -> steps``
            (WGAN: 100 critic steps for the first 25 generator steps).
        uses_data: whether each step draws a new batch (a GAN's generator step does not).
        after_step: called after each optimiser step (WGAN weight clipping).
        log_grad_norm: log the norm of this phase's gradient as ``grad_norm`` (before
            clipping), e.g. to watch the gradient that reaches a GAN's generator.
    """

    name: str
    parameters: list[nn.Parameter]
    optimizer: OptimizerSpec
    loss: Callable[[Batch], LossOutput]
    steps: int | Callable[[int], int] = 1
    uses_data: bool = True
    after_step: Callable[[], None] | None = None
    log_grad_norm: bool = False

    def steps_at(self, cycle: int) -> int:
        steps = self.steps(cycle) if callable(self.steps) else self.steps
        if steps < 0:
            raise ConfigError(f"phase {self.name!r} asks for {steps} steps; it must be >= 0")
        return steps
