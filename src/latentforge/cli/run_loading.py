"""The model of a verb that uses a trained run: loaded from ``args.run`` onto the device
``args.device`` names, and checked for the capability the verb needs."""

from __future__ import annotations

import argparse

import torch

from latentforge.models.base import GenerativeModel
from latentforge.models.capabilities import require_capability
from latentforge.training.checkpoint import load_model
from latentforge.training.distributed import resolve_device


def load_run_model(
    args: argparse.Namespace, capability: type | None = None, lacks: str = ""
) -> tuple[GenerativeModel, torch.device]:
    """The newest model of run ``args.run`` (or a saved model folder) on ``args.device``, and
    that device. With ``capability`` a model that does not declare it is refused with
    ``ConfigError("a <kind> model <lacks>")`` (see
    :func:`~latentforge.models.capabilities.require_capability`)."""
    device = resolve_device(args.device)
    model = load_model(args.run, device)
    if capability is not None:
        require_capability(model, capability, lacks)
    return model, device
