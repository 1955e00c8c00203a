"""pix2pix: shapes, losses against their formulas, phases, the L1-only baseline, save/load,
sample from the source bank, pair data checks, and a short engine run."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from latentforge.data.pairs import split_pair
from latentforge.errors import ConfigError, ShapeError
from latentforge.metrics import per_image_psnr, per_image_ssim
from latentforge.models import GenerativeModel, Pix2Pix, Pix2PixConfig
from latentforge.steps.train_config import TrainConfig
from latentforge.training.checkpoint import load_model
from latentforge.utils.run_logs import read_metrics

from .gan_helpers import run_engine, tiny_bundle
from .translation_helpers import TINY_PIX2PIX, pair_batch, pair_bundle

TINY = TINY_PIX2PIX


@pytest.mark.parametrize(("channels", "size"), [(1, (12, 12)), (3, (16, 20))])
def test_translate_keeps_shape_and_range(channels, size) -> None:
    model = Pix2Pix(Pix2PixConfig(in_channels=channels, **{**TINY, "image_size": size}))
    out = model.translate(torch.rand(3, channels, *size))
    assert out.shape == (3, channels, *size) and out.min() >= 0.0 and out.max() <= 1.0
    assert model.discriminator(torch.rand(3, 2 * channels, *size)).dim() == 4  # patch scores


def test_discriminator_loss_is_bce_on_real_and_fake_pairs() -> None:
    torch.manual_seed(0)
    model = Pix2Pix(Pix2PixConfig(**TINY, d_norm="none", g_norm="none"))
    batch = pair_batch()
    out = model.discriminator_loss(batch)
    pairs = batch["images"] * 2 - 1
    source = pairs[:, :1]
    fake_pairs = torch.cat([source, model.generator(source)], dim=1)
    expected = (
        F.softplus(-model.discriminator(pairs)).mean()
        + F.softplus(model.discriminator(fake_pairs)).mean()
    )
    assert torch.allclose(out.loss, expected, atol=1e-6)
    assert set(out.logs) >= {"d_real", "d_fake", "accuracy", "loss_vs_chance"}


def test_generator_loss_is_adversarial_plus_100_l1() -> None:
    torch.manual_seed(0)
    model = Pix2Pix(Pix2PixConfig(**TINY, d_norm="none", g_norm="none"))
    batch = pair_batch()
    out = model.generator_loss(batch)
    source, target = split_pair(batch["images"] * 2 - 1)
    fake = model.generator(source)
    adversarial = F.softplus(-model.discriminator(torch.cat([source, fake], 1))).mean()
    l1 = (fake - target).abs().mean()
    assert torch.allclose(out.loss, adversarial + 100.0 * l1, atol=1e-5)
    assert float(out.logs["l1"]) == pytest.approx(l1.item() / 2)  # logged in [0, 1] units


def test_phases_and_the_l1_only_baseline() -> None:
    model = Pix2Pix(Pix2PixConfig(**TINY, lr_d=1e-3, lr_g=3e-3))
    d, g = model.training_phases(TrainConfig())
    assert (d.name, g.name, d.uses_data, g.uses_data) == ("discriminator", "generator", True, False)
    assert (d.optimizer.lr, g.optimizer.lr) == (1e-3, 3e-3)
    assert {id(p) for p in g.parameters} == {id(p) for p in model.generator.parameters()}
    baseline = Pix2Pix(Pix2PixConfig(**TINY, gan_weight=0.0))
    (only,) = baseline.training_phases(TrainConfig())
    assert only.name == "generator" and only.uses_data
    out = only.loss(pair_batch())
    assert "adversarial" not in out.logs
    assert out.loss.item() == pytest.approx(100 * 2 * float(out.logs["l1"]), rel=1e-5)
    assert baseline.monitors() == [] and len(model.monitors()) == 1


def test_evaluation_numbers_follow_their_formulas() -> None:
    model = Pix2Pix(Pix2PixConfig(**TINY)).eval()
    batch = pair_batch(size=12)
    values = model.evaluation_losses(batch)
    source, target = split_pair(batch["images"])
    out = model.translate(source)
    assert values["l1"].item() == pytest.approx((out - target).abs().mean().item(), rel=1e-5)
    assert values["psnr"].item() == pytest.approx(per_image_psnr(out, target).mean().item())
    assert values["ssim"].item() == pytest.approx(per_image_ssim(out, target).mean().item())
    assert "d_loss" in values


def test_sample_translates_remembered_training_sources() -> None:
    model = Pix2Pix(Pix2PixConfig(**TINY, sample_bank=4))
    with pytest.raises(ConfigError, match="translate"):
        model.sample(2)
    batch = pair_batch(n=8)
    model.generator_loss(batch)
    assert torch.equal(model.source_bank.images, split_pair(batch["images"])[0][:4])
    model.eval()
    samples = model.sample(6, torch.Generator().manual_seed(0))
    assert samples.shape == (6, 1, 12, 12)
    translations = model.translate(model.source_bank.images)
    assert all(any(torch.equal(s, t) for t in translations) for s in samples)


def test_save_and_load_round_trip(tmp_path) -> None:
    model = Pix2Pix(Pix2PixConfig(**TINY)).eval()
    model.generator_loss(pair_batch())
    model.save_pretrained(tmp_path)
    loaded = GenerativeModel.from_pretrained(tmp_path).eval()
    x = torch.rand(2, 1, 12, 12)
    assert isinstance(loaded, Pix2Pix) and torch.equal(loaded.translate(x), model.translate(x))
    assert torch.equal(loaded.source_bank.images, model.source_bank.images)


def test_data_must_be_pairs_and_directions_are_checked() -> None:
    assert Pix2PixConfig.values_from_data(pair_bundle(channels=3)) == {
        "in_channels": 3,
        "image_size": (12, 12),
    }
    with pytest.raises(ConfigError, match="single images"):
        Pix2PixConfig.values_from_data(tiny_bundle())
    with pytest.raises(ConfigError, match="paired"):
        Pix2PixConfig.values_from_data(pair_bundle(layout="unpaired"))
    model = Pix2Pix(Pix2PixConfig(**TINY))
    with pytest.raises(ConfigError, match="b2a"):
        model.translate(torch.rand(1, 1, 12, 12), "b2a")
    with pytest.raises(ConfigError, match="both 0"):
        Pix2PixConfig(gan_weight=0, l1_weight=0)
    with pytest.raises(ShapeError, match="--d-channels"):
        Pix2Pix(Pix2PixConfig(**{**TINY, "d_channels": (4, 8, 8, 8)}))


def test_engine_trains_pix2pix_and_the_run_loads(tmp_path) -> None:
    model = Pix2Pix(Pix2PixConfig(**TINY))
    trainer = run_engine(model, tmp_path, pair_bundle(), batch_size=8, epochs=2)
    assert trainer.progress.step == 12  # 48 pairs / 8 per batch, one batch per cycle, 2 epochs
    records = read_metrics(tmp_path)
    epoch_end = [r for r in records if "val/l1" in r]
    assert len(epoch_end) == 2 and "train/generator/adversarial" in records[0]
    assert (tmp_path / "images" / "translations" / "epoch-0002.png").is_file()
    loaded = load_model(tmp_path)
    assert loaded.translate(torch.rand(2, 1, 12, 12)).shape == (2, 1, 12, 12)
