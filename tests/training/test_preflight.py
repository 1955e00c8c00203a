"""The memory preflight: parameter and activation bytes from the config, counted on the meta
device before anything is allocated, and refusals of what cannot fit."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import latentforge.models.footprint as footprint
from latentforge.data.batching import to_batch
from latentforge.errors import OutOfMemory
from latentforge.models.base import GenerativeModel
from latentforge.models.footprint import MAX_PARAMETERS, meta_model, model_bytes
from latentforge.steps.phases import LossOutput, OptimizerSpec, Phase
from latentforge.training.distributed import DistContext
from latentforge.training.preflight import (
    LATE,
    _costliest_phase,
    activation_bytes,
    check_training_fits,
    counters_at,
    training_bytes,
)
from latentforge.training.run import config_for_data

CPU = DistContext(rank=0, world_size=1, local_rank=0, device=torch.device("cpu"))


class TwoLayers(nn.Module):
    """784 -> 10 -> ReLU: leaf outputs per image 10 + 10 floats."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(784, 10), nn.ReLU())
        self.register_buffer("count", torch.zeros(3))

    def training_phases(self, train):
        def loss(batch):
            return LossOutput(self.body(batch["images"]).sum())

        return [Phase("only", list(self.parameters()), OptimizerSpec(), loss)]


def test_parameter_bytes_are_weights_gradients_and_two_adam_moments(fast_train, tiny_bundle):
    model = TwoLayers()
    params = (784 * 10 + 10) * 4
    assert model_bytes(model) == (7850, params, 3 * 4)
    assert training_bytes(model, tiny_bundle, fast_train)["parameters"] == 4 * params + 12
    with_ema = fast_train.replace(ema_decay=0.99)
    assert training_bytes(model, tiny_bundle, with_ema)["parameters"] == 5 * params + 12


def test_activation_bytes_add_up_the_leaf_outputs_of_a_step(fast_train, tiny_bundle):
    model = meta_model(lambda _: TwoLayers(), None)
    # per image: Flatten 784, Linear 10, ReLU 10 floats (the Sequential is not counted twice)
    assert activation_bytes(model, tiny_bundle, fast_train, batch=8) == 8 * (784 + 10 + 10) * 4


def test_the_estimate_for_a_vae_matches_the_real_model(fast_train, tiny_bundle):
    cls, config = config_for_data("vae", {"latent_dim": 4, "hidden_channels": (8, 16)}, tiny_bundle)
    real = cls(config)
    count = sum(p.numel() for p in real.parameters())
    assert model_bytes(meta_model(cls, config))[:2] == (count, 4 * count)
    per_batch = activation_bytes(meta_model(cls, config), tiny_bundle, fast_train, batch=64)
    half = activation_bytes(meta_model(cls, config), tiny_bundle, fast_train, batch=32)
    assert per_batch > 0 and per_batch == 2 * half  # activations scale with the batch


def test_a_model_beyond_any_sane_size_is_refused_without_allocating(fast_train, tiny_bundle):
    cls, config = config_for_data("vae", {"latent_dim": 1_000_000_000}, tiny_bundle)
    count = model_bytes(meta_model(cls, config))[0]
    assert count > MAX_PARAMETERS
    with pytest.raises(OutOfMemory, match="beyond any sane model"):
        check_training_fits(cls, config, tiny_bundle, fast_train, CPU)


def test_training_that_does_not_fit_the_free_memory_is_refused(
    fast_train, tiny_bundle, monkeypatch
):
    cls, config = config_for_data("vae", {"latent_dim": 4, "hidden_channels": (8, 16)}, tiny_bundle)
    needed = sum(training_bytes(meta_model(cls, config), tiny_bundle, fast_train).values())
    monkeypatch.setattr(footprint, "available_memory", lambda device: needed + 1)
    check_training_fits(cls, config, tiny_bundle, fast_train, CPU)  # just fits
    monkeypatch.setattr(footprint, "available_memory", lambda device: needed - 1)
    with pytest.raises(OutOfMemory, match=r"only .* of cpu memory is free.*--batch-size"):
        check_training_fits(cls, config, tiny_bundle, fast_train, CPU)


def test_loading_a_saved_model_checks_memory_first(tmp_path, monkeypatch, tiny_bundle):
    cls, config = config_for_data("vae", {"latent_dim": 4, "hidden_channels": (8, 16)}, tiny_bundle)
    cls(config).save_pretrained(tmp_path)
    monkeypatch.setattr(footprint, "available_memory", lambda device: 1000)
    with pytest.raises(OutOfMemory, match="load it on a machine with more memory"):
        GenerativeModel.from_pretrained(tmp_path)
    monkeypatch.setattr(footprint, "available_memory", lambda device: None)  # unknown: no check
    GenerativeModel.from_pretrained(tmp_path)


def test_the_preflight_leaves_the_seeded_random_streams_alone(fast_train, tiny_bundle):
    cls, config = config_for_data("vae", {"latent_dim": 4, "hidden_channels": (8, 16)}, tiny_bundle)
    torch.manual_seed(0)
    before = torch.get_rng_state()
    check_training_fits(cls, config, tiny_bundle, fast_train, CPU)
    assert torch.equal(torch.get_rng_state(), before)


@pytest.mark.parametrize("name", ["progan", "srgan", "inpainting"])
def test_models_that_read_their_counters_are_estimated_late_in_training(
    fast_train, tiny_bundle, name
):
    """These losses read a counter (.item() has no value on meta): the estimate sets the
    counters late in training, and equals what the real model keeps at that point."""
    torch.manual_seed(0)
    cls, config = config_for_data(name, {}, tiny_bundle)
    estimate = activation_bytes(meta_model(cls, config), tiny_bundle, fast_train, batch=4)
    real = cls(config)
    for buffer in real.buffers():
        if buffer.numel() == 1:
            buffer.fill_(LATE)
    batch = to_batch(*tiny_bundle.train.take(torch.arange(4)), torch.device("cpu"))
    assert estimate > 0 and estimate == _costliest_phase(real, fast_train, batch)


def test_progan_is_estimated_at_its_full_resolution(fast_train, tiny_bundle):
    cls, config = config_for_data("progan", {}, tiny_bundle)
    model = meta_model(cls, config)
    batch = {"images": torch.empty((4, 1, 28, 28), device="meta")}
    with counters_at(model, 0):
        first_stage = _costliest_phase(model, fast_train, batch)
    assert activation_bytes(model, tiny_bundle, fast_train, batch=4) > 4 * first_stage
