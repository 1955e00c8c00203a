"""What the engine does around each phase step, checked through the real ``Trainer``: every
model's ``after_step`` runs (weight clipping of each discriminator, the progressive GAN's
growth clock), and a phase computes gradients for its own weights only."""

from __future__ import annotations

import pytest
import torch

from latentforge.data.base import DataBundle
from latentforge.models import (
    DCGAN,
    GAN,
    SRGAN,
    WGAN,
    CycleGAN,
    CycleGANConfig,
    DCGANConfig,
    GANConfig,
    Inpainting,
    InpaintingConfig,
    Pix2Pix,
    Pix2PixConfig,
    ProGAN,
    ProGANConfig,
    SRGANConfig,
)
from latentforge.models.wgan import WGANConfig
from latentforge.steps.phases import Phase
from latentforge.steps.train_config import TrainConfig
from latentforge.training.distributed import DistContext
from latentforge.training.engine import Trainer

from ..conftest import one_thread
from ..models.gan_helpers import engine_config, tiny_bundle
from ..models.translation_helpers import TINY_CYCLEGAN, TINY_PIX2PIX, pair_bundle
from ..restoration.helpers import TINY_INPAINT, TINY_SR, blob_bundle

CLIP = 0.01
GAME = {"clip": CLIP, "lr_d": 0.05}  # steps this large would leave the box without clipping
TINY_MLP = {"image_size": (12, 12), "g_hidden": (16,), "d_hidden": (16,), "z_dim": 4}
TINY_CONV = {"image_size": (12, 12), "g_channels": (4, 8), "d_channels": (4, 8), "z_dim": 4}
TINY_PROGAN = {"image_size": (16, 16), "z_dim": 4, "max_channels": 8, "min_channels": 4}

# name -> (a model with weight clipping, its tiny data)
CLIPPED = {
    "gan": lambda: (GAN(GANConfig(**TINY_MLP, **GAME)), tiny_bundle(64)),
    "dcgan": lambda: (DCGAN(DCGANConfig(**TINY_CONV, **GAME)), tiny_bundle(64)),
    "wgan": lambda: (WGAN(WGANConfig(**TINY_CONV, **GAME)), tiny_bundle(192)),  # 5 critic steps
    "progan": lambda: (
        ProGAN(ProGANConfig(**TINY_PROGAN, mbstd_group=2, stage_steps=1, gp_weight=0.0, **GAME)),
        tiny_bundle(64, size=16),
    ),
    "pix2pix": lambda: (Pix2Pix(Pix2PixConfig(**TINY_PIX2PIX, **GAME)), pair_bundle(32)),
    "cyclegan": lambda: (
        CycleGAN(CycleGANConfig(**TINY_CYCLEGAN, **GAME)),
        pair_bundle(32, layout="unpaired"),
    ),
    "srgan": lambda: (
        SRGAN(SRGANConfig(**TINY_SR, pretrain_steps=0, **GAME)),
        blob_bundle(32),
    ),
    "inpainting": lambda: (
        Inpainting(InpaintingConfig(**TINY_INPAINT, pretrain_steps=0, **GAME)),
        blob_bundle(32),
    ),
}


def _trainer(model, data: DataBundle, run_dir, **changes) -> Trainer:
    settings = engine_config(**{"device": "cpu", **changes})
    return Trainer(model, data, settings, run_dir, DistContext())


def _phase(model, name: str) -> Phase:
    (phase,) = [p for p in model.training_phases(TrainConfig(batch_size=16)) if p.name == name]
    return phase


@pytest.mark.parametrize("name", sorted(CLIPPED))
def test_the_engine_clips_every_discriminator_after_each_of_its_steps(name, tmp_path) -> None:
    torch.manual_seed(0)
    model, data = CLIPPED[name]()
    critic = _phase(model, "discriminator").parameters
    assert max(p.abs().max().item() for p in critic) > CLIP  # the initial weights are outside
    trainer = _trainer(model, data, tmp_path, max_steps=2)
    with one_thread():
        trainer.fit()
    assert trainer.progress.step == 2
    largest = max(p.abs().max().item() for p in critic)
    assert largest <= CLIP + 1e-12, f"{name}: a discriminator weight is {largest}"


def test_the_engine_advances_the_growth_clock_once_per_discriminator_step(tmp_path) -> None:
    torch.manual_seed(0)
    model = ProGAN(ProGANConfig(**TINY_PROGAN, mbstd_group=2, stage_steps=2, d_steps=3))
    with one_thread():
        _trainer(model, tiny_bundle(256, size=16), tmp_path, max_steps=2).fit()
    assert model.clock == 2 * 3  # two cycles of three critic steps, measured in steps
    # phases of 2 steps: stage 0 (clock 0-1), stage 1 fades in (2-3) and stabilises (4-5),
    # so clock 6 is the first step of stage 2's fade-in
    assert (model.growth().stage, model.growth().alpha) == (2, 0.0)


def test_each_phase_computes_gradients_only_for_its_own_weights(tmp_path) -> None:
    """During the generator's step the discriminator's weights are frozen, and the other way
    round: no gradient is computed (or kept) for another phase's weights."""
    torch.manual_seed(0)
    model = GAN(GANConfig(**TINY_MLP))
    generator_ids = {id(p) for p in model.generator.parameters()}
    seen: list[tuple[str, set[int]]] = []

    def recording(name, loss):
        def wrapped(batch):
            active = {id(p) for p in model.parameters() if p.requires_grad}
            seen.append((name, active))
            return loss(batch)

        return wrapped

    model.discriminator_loss = recording("D", model.discriminator_loss)
    model.generator_loss = recording("G", model.generator_loss)
    with one_thread():
        _trainer(model, tiny_bundle(64), tmp_path, max_steps=2).fit()
    everything = {id(p) for p in model.parameters()}
    expected = {"G": generator_ids, "D": everything - generator_ids}
    assert [name for name, _ in seen] == ["D", "G", "D", "G"]
    for name, active in seen:
        assert active == expected[name], f"the {name} step sees other phases' weights"
