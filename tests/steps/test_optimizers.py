"""Each optimiser name builds its PyTorch optimiser with the settings of the spec."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from latentforge.steps.phases import OptimizerSpec, build_optimizer

SPEC = OptimizerSpec(
    name="adam", lr=0.02, betas=(0.8, 0.9), weight_decay=0.25, momentum=0.5, eps=1e-6
)
SETTINGS = {
    "adam": (torch.optim.Adam, ("lr", "betas", "eps", "weight_decay")),
    "adamw": (torch.optim.AdamW, ("lr", "betas", "eps", "weight_decay")),
    "rmsprop": (torch.optim.RMSprop, ("lr", "eps", "weight_decay", "momentum")),
    "sgd": (torch.optim.SGD, ("lr", "momentum", "weight_decay")),
}


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_optimizer_takes_the_specs_settings(name: str) -> None:
    spec = dataclasses.replace(SPEC, name=name)
    optimizer = build_optimizer(list(nn.Linear(2, 1).parameters()), spec)
    kind, keys = SETTINGS[name]
    assert type(optimizer) is kind
    group = optimizer.param_groups[0]
    assert {key: group[key] for key in keys} == {key: getattr(spec, key) for key in keys}
