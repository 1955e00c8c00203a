"""The model of a verb: loaded on the device ``--device`` names and checked for what the verb
needs."""

from __future__ import annotations

import argparse

import pytest
import torch

from latentforge.cli.run_loading import load_run_model
from latentforge.errors import ConfigError
from latentforge.models import build_model
from latentforge.models.capabilities import Encodes, Translates


@pytest.fixture(scope="module")
def saved_ae(tmp_path_factory):
    torch.manual_seed(0)
    model = build_model(
        "ae", {"latent_dim": 3, "hidden_channels": (4,), "image_size": (8, 8), "in_channels": 1}
    )
    folder = tmp_path_factory.mktemp("saved") / "ae"
    model.eval().save_pretrained(folder)
    return folder, model


def _args(run) -> argparse.Namespace:
    return argparse.Namespace(run=run, device="cpu")


def test_loads_the_saved_weights_on_the_named_device(saved_ae) -> None:
    folder, original = saved_ae
    model, device = load_run_model(_args(folder), Encodes, "never shown")
    assert device == torch.device("cpu")
    assert model.device == device
    for name, value in original.state_dict().items():
        torch.testing.assert_close(model.state_dict()[name], value)


def test_refuses_a_model_without_the_capability(saved_ae) -> None:
    with pytest.raises(ConfigError) as caught:
        load_run_model(_args(saved_ae[0]), Translates, "does not translate images")
    assert str(caught.value) == "a ae model does not translate images"


def test_without_a_capability_any_model_loads(saved_ae) -> None:
    model, _ = load_run_model(_args(saved_ae[0]))
    assert model.model_type == "ae"
