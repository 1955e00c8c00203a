"""GAN training: phases in order with k and m steps, the WGAN schedule, clipping, the
gradient penalty, and a short engine run for every GAN model."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from latentforge.data.base import DataBundle, TensorImageSet
from latentforge.losses import gradient_penalty
from latentforge.models import DCGAN, GAN, WGAN, WGANGP, DCGANConfig, GANConfig
from latentforge.models.adversarial import DiscriminatorSchedule
from latentforge.models.wgan import WGANConfig, WGANGPConfig
from latentforge.steps.phases import build_optimizer
from latentforge.steps.train_config import TrainConfig
from latentforge.training.checkpoint import load_model
from latentforge.utils.run_logs import read_metrics

from .gan_helpers import run_engine, tiny_bundle

TINY_MLP = {"image_size": (12, 12), "g_hidden": (16,), "d_hidden": (16,), "z_dim": 4}
TINY_CONV = {"image_size": (12, 12), "g_channels": (4, 8), "d_channels": (4, 8), "z_dim": 4}


def _batch(n: int = 8) -> dict[str, torch.Tensor]:
    return {"images": tiny_bundle(n).train.images.float() / 255.0}


def test_phases_are_discriminator_on_data_then_generator_on_noise() -> None:
    model = GAN(GANConfig(d_steps=3, g_steps=2, lr_d=1e-3, lr_g=2e-3, **TINY_MLP))
    d, g = model.training_phases(TrainConfig())
    assert (d.name, g.name) == ("discriminator", "generator")
    assert d.uses_data and not g.uses_data
    assert g.log_grad_norm and not d.log_grad_norm
    assert (d.steps_at(0), d.steps_at(100), g.steps_at(0)) == (3, 3, 2)
    assert {id(p) for p in d.parameters} == {id(p) for p in model.discriminator.parameters()}
    assert {id(p) for p in g.parameters} == {id(p) for p in model.generator.parameters()}
    assert (d.optimizer.lr, g.optimizer.lr, d.optimizer.betas) == (1e-3, 2e-3, (0.5, 0.999))
    assert d.after_step is None  # no clipping unless --clip is given


def test_wgan_warmup_schedule_gives_100_critic_steps_for_the_first_25_cycles() -> None:
    schedule = DiscriminatorSchedule(steps=5, warmup_steps=100, warmup_cycles=25)
    assert [schedule(c) for c in range(27)] == [100] * 25 + [5, 5]
    phases = WGAN(WGANConfig(d_warmup_cycles=25, **TINY_CONV)).training_phases(TrainConfig())
    assert [phases[0].steps_at(c) for c in (0, 24, 25)] == [100, 100, 5]
    assert WGAN(WGANConfig(**TINY_CONV)).training_phases(TrainConfig())[0].steps_at(0) == 5


def _record_phase_calls(model) -> list[str]:
    calls: list[str] = []
    d_loss, g_loss = model.discriminator_loss, model.generator_loss
    model.discriminator_loss = lambda batch: (calls.append("D"), d_loss(batch))[1]
    model.generator_loss = lambda batch: (calls.append("G"), g_loss(batch))[1]
    return calls


def test_engine_runs_k_discriminator_then_m_generator_steps_per_cycle(tmp_path) -> None:
    model = GAN(GANConfig(d_steps=2, g_steps=3, **TINY_MLP))
    calls = _record_phase_calls(model)
    trainer = run_engine(model, tmp_path, tiny_bundle(160), max_steps=3)
    assert "".join(calls) == "DDGGG" * 3
    assert trainer.progress.images_seen == 3 * 2 * 16  # only discriminator steps take data


def test_engine_follows_the_warmup_schedule(tmp_path) -> None:
    model = GAN(GANConfig(d_steps=1, d_warmup_steps=3, d_warmup_cycles=2, **TINY_MLP))
    calls = _record_phase_calls(model)
    run_engine(model, tmp_path, tiny_bundle(160), max_steps=4)
    assert "".join(calls) == "DDDG" + "DDDG" + "DG" + "DG"


def _one_discriminator_step(model, batch) -> None:
    phase = model.training_phases(TrainConfig())[0]
    optimizer = build_optimizer(phase.parameters, phase.optimizer)
    optimizer.zero_grad()
    phase.loss(batch).loss.backward()
    optimizer.step()
    if phase.after_step is not None:
        phase.after_step()


def test_weight_clipping_holds_the_bound_after_a_step() -> None:
    torch.manual_seed(0)
    config = WGANConfig(clip=0.01, lr_d=0.5, **TINY_CONV)  # a step this large leaves the box
    clipped = WGAN(config)
    unclipped = WGAN(config)
    unclipped.load_state_dict(clipped.state_dict())
    _one_discriminator_step(clipped, _batch())
    phase = unclipped.training_phases(TrainConfig())[0]
    phase.after_step = None
    optimizer = build_optimizer(phase.parameters, phase.optimizer)
    phase.loss(_batch()).loss.backward()
    optimizer.step()
    largest = max(p.abs().max().item() for p in unclipped.discriminator.parameters())
    assert largest > 0.01  # the bound is not met by itself ...
    for p in clipped.discriminator.parameters():
        assert p.abs().max().item() <= 0.01 + 1e-12  # ... but holds after clipping


def test_gradient_penalty_is_added_for_wgan_gp_only() -> None:
    batch = _batch()
    gp_model = WGANGP(WGANGPConfig(**TINY_CONV))
    torch.manual_seed(1)
    out = gp_model.discriminator_loss(batch)
    # the same draws again: noise for the fakes, then epsilon for the interpolates
    torch.manual_seed(1)
    real = batch["images"] * 2 - 1
    fake = gp_model.generator(torch.randn(8, 4))
    critic = gp_model.discriminator
    base = critic(fake).mean() - critic(real).mean()
    expected = base + gradient_penalty(critic, real, fake, weight=10.0)
    torch.testing.assert_close(out.loss, expected)
    assert out.logs["gradient_penalty"] > 0

    for model in (WGAN(WGANConfig(**TINY_CONV)), DCGAN(DCGANConfig(**TINY_CONV))):
        assert "gradient_penalty" not in model.discriminator_loss(batch).logs


def test_non_saturating_losses_match_the_formulas() -> None:
    batch = _batch()
    model = DCGAN(DCGANConfig(**TINY_CONV))
    torch.manual_seed(2)
    d_out = model.discriminator_loss(batch)
    g_out = model.generator_loss(batch)
    torch.manual_seed(2)
    real = batch["images"] * 2 - 1
    with torch.no_grad():
        r = model.discriminator(real)
        f = model.discriminator(model.generator(torch.randn(8, 4)))
        f2 = model.discriminator(model.generator(torch.randn(8, 4)))
    # L_D = -mean log sigmoid(r) - mean log(1 - sigmoid(f)); L_G = -mean log sigmoid(f)
    expected_d = -torch.log(torch.sigmoid(r)).mean() - torch.log(1 - torch.sigmoid(f)).mean()
    torch.testing.assert_close(d_out.loss, expected_d)
    torch.testing.assert_close(g_out.loss, F.softplus(-f2).mean())
    torch.testing.assert_close(d_out.logs["d_real"], torch.sigmoid(r).mean())


@pytest.mark.parametrize(
    "model",
    [
        lambda: GAN(GANConfig(**TINY_MLP)),
        lambda: DCGAN(DCGANConfig(**TINY_CONV)),
        lambda: WGAN(WGANConfig(d_steps=2, **TINY_CONV)),
        lambda: WGANGP(WGANGPConfig(d_steps=2, **TINY_CONV)),
    ],
    ids=["gan", "dcgan", "wgan", "wgan-gp"],
)
def test_short_engine_run_logs_checkpoints_and_samples(tmp_path, model) -> None:
    model = model()
    run_engine(model, tmp_path, max_steps=2, ema_decay=0.9)
    records = [r for r in read_metrics(tmp_path) if "train/generator/grad_norm" in r]
    assert len(records) == 2
    for key in ("discriminator/accuracy", "discriminator/d_real", "generator/diversity"):
        assert f"train/{key}" in records[-1]
    loaded = load_model(tmp_path)
    assert type(loaded) is type(model)
    assert loaded.sample(3).shape == (3, 1, 12, 12)


def test_ema_tracks_the_generator_only(tmp_path) -> None:
    model = DCGAN(DCGANConfig(**TINY_CONV))
    trainer = run_engine(model, tmp_path, max_steps=2, ema_decay=0.5)
    assert set(trainer.ema.state_dict()) == set(model.generator.state_dict())
    inference = load_model(tmp_path)
    # the saved inference generator is the average, the discriminator the raw weights
    for key, value in trainer.ema.state_dict().items():
        torch.testing.assert_close(inference.generator.state_dict()[key], value)
    for key, value in model.discriminator.state_dict().items():
        torch.testing.assert_close(inference.discriminator.state_dict()[key], value)


def test_an_epoch_writes_a_grid_from_fixed_noise_and_validates_the_discriminator(
    tmp_path,
) -> None:
    images = tiny_bundle(80).train.images
    data = DataBundle("blobs", TensorImageSet(images[:64]), val=TensorImageSet(images[64:]))
    model = DCGAN(DCGANConfig(**TINY_CONV))
    run_engine(model, tmp_path, data, epochs=1)
    assert (tmp_path / "images" / "samples" / "epoch-0001.png").is_file()
    epoch = [r for r in read_metrics(tmp_path) if "epoch_end_s" in r][-1]
    for key in ("val/d_loss", "val/accuracy", "val/d_real", "val/d_fake"):
        assert key in epoch
    assert 0.0 <= epoch["val/accuracy"] <= 1.0
    model.eval()
    first = model.visualize({}, torch.Generator().manual_seed(1234))["samples"]
    again = model.visualize({}, torch.Generator().manual_seed(1234))["samples"]
    assert first.shape == (64, 1, 12, 12)
    torch.testing.assert_close(first, again)  # the same noise every epoch
