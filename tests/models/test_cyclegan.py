"""CycleGAN: shapes both ways, the losses against the paper's formulas, the pool between the
generators and the discriminators, exact resume with the pool's contents, save/load and a
short engine run."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from latentforge.data.pairs import split_pair
from latentforge.errors import ConfigError
from latentforge.metrics import per_image_psnr
from latentforge.models import CycleGAN, CycleGANConfig, GenerativeModel
from latentforge.steps.train_config import TrainConfig
from latentforge.training.checkpoint import latest_checkpoint, load_model
from latentforge.training.distributed import DistContext
from latentforge.training.engine import Trainer
from latentforge.utils.run_logs import read_metrics
from latentforge.utils.seeding import seed_everything

from ..conftest import one_thread
from .gan_helpers import engine_config, run_engine, tiny_bundle
from .translation_helpers import TINY_CYCLEGAN, pair_batch, pair_bundle

TINY = TINY_CYCLEGAN


@pytest.mark.parametrize("generator", ["resnet", "unet"])
def test_translates_both_ways_keeping_shape_and_range(generator) -> None:
    model = CycleGAN(CycleGANConfig(in_channels=3, **{**TINY, "generator": generator}))
    x = torch.rand(2, 3, 12, 12)
    for direction in ("a2b", "b2a"):
        out = model.translate(x, direction)
        assert out.shape == x.shape and out.min() >= 0.0 and out.max() <= 1.0
    assert not torch.equal(model.translate(x, "a2b"), model.translate(x, "b2a"))
    with pytest.raises(ConfigError, match="a2b and b2a"):
        model.translate(x, "sideways")


def _signed(batch):
    return split_pair(batch["images"] * 2 - 1)


def _seeded_game():
    """A tiny CycleGAN built from seed 0, a pair batch, its halves in [-1, 1] and the networks
    (G: A -> B, F: B -> A, D_A, D_B)."""
    torch.manual_seed(0)
    model = CycleGAN(CycleGANConfig(**TINY))
    batch = pair_batch()
    nets = model.generators["a2b"], model.generators["b2a"]
    nets += model.discriminators["a"], model.discriminators["b"]
    return model, batch, _signed(batch), nets


def test_discriminator_loss_is_least_squares_for_both_domains() -> None:
    model, batch, (a, b), (g, f, d_a, d_b) = _seeded_game()
    out = model.discriminator_loss(batch)

    def ls(real, fake):  # 0.5 E[(D(real) - 1)^2] + 0.5 E[D(fake)^2]
        return 0.5 * (real - 1).pow(2).mean() + 0.5 * fake.pow(2).mean()

    expected = ls(d_b(b), d_b(g(a))) + ls(d_a(a), d_a(f(b)))
    assert torch.allclose(out.loss, expected, atol=1e-6)
    assert {"d_a_loss", "d_b_loss", "accuracy", "loss_vs_chance"} <= set(out.logs)


def test_generator_loss_is_gan_plus_10_cycle_plus_5_identity() -> None:
    model, batch, (a, b), (g, f, d_a, d_b) = _seeded_game()
    out = model.generator_loss(batch)
    gan = (d_b(g(a)) - 1).pow(2).mean() + (d_a(f(b)) - 1).pow(2).mean()  # the paper's LSGAN
    cycle = (f(g(a)) - a).abs().mean() + (g(f(b)) - b).abs().mean()
    identity = (f(a) - a).abs().mean() + (g(b) - b).abs().mean()
    assert torch.allclose(out.loss, gan + 10 * cycle + 5 * identity, atol=1e-5)
    no_identity = CycleGAN(CycleGANConfig(**TINY, identity_weight=0.0))
    no_identity.load_state_dict(model.state_dict())
    assert torch.allclose(no_identity.generator_loss(batch).loss, gan + 10 * cycle, atol=1e-5)


def test_discriminators_see_pooled_fakes() -> None:
    torch.manual_seed(0)
    model = CycleGAN(CycleGANConfig(**{**TINY, "pool_size": 50}))
    model.discriminator_loss(pair_batch(n=8))
    assert len(model.pools["a"]) == len(model.pools["b"]) == 8
    a, _ = _signed(pair_batch(n=8))
    with torch.no_grad():
        assert torch.allclose(model.pools["b"].images[:8], model.generators["a2b"](a))


def test_phases_hold_both_discriminators_then_both_generators() -> None:
    model = CycleGAN(CycleGANConfig(**TINY))
    d, g = model.training_phases(TrainConfig())
    assert (d.name, g.name, g.uses_data) == ("discriminator", "generator", False)
    assert {id(p) for p in d.parameters} == {id(p) for p in model.discriminators.parameters()}
    assert {id(p) for p in g.parameters} == {id(p) for p in model.generators.parameters()}
    assert d.optimizer.betas == (0.5, 0.999) and g.optimizer.lr == 2e-4


def test_evaluation_gives_cycle_reconstruction_quality() -> None:
    model = CycleGAN(CycleGANConfig(**TINY)).eval()
    batch = pair_batch()
    values = model.evaluation_losses(batch)
    a, _ = split_pair(batch["images"])
    cycled = model.translate(model.translate(a, "a2b"), "b2a")
    assert values["cycle_a_psnr"].item() == pytest.approx(per_image_psnr(cycled, a).mean().item())
    assert values["cycle_a_l1"].item() == pytest.approx((cycled - a).abs().mean().item(), rel=1e-5)
    assert {"cycle_b_psnr", "cycle_b_ssim", "d_loss"} <= set(values)


def test_accepts_unpaired_and_paired_data_only() -> None:
    assert CycleGANConfig.values_from_data(pair_bundle(layout="unpaired"))["in_channels"] == 1
    assert CycleGANConfig.values_from_data(pair_bundle(layout="paired"))["in_channels"] == 1
    with pytest.raises(ConfigError, match="sneaker2boot"):
        CycleGANConfig.values_from_data(tiny_bundle())
    with pytest.raises(ConfigError, match="--generator"):
        CycleGANConfig(generator="vgg")


def test_save_and_load_keep_generators_and_pools(tmp_path) -> None:
    torch.manual_seed(0)
    model = CycleGAN(CycleGANConfig(**{**TINY, "pool_size": 4}))
    model.discriminator_loss(pair_batch(n=8))
    model.save_pretrained(tmp_path)
    loaded = GenerativeModel.from_pretrained(tmp_path).eval()
    model.eval()
    x = torch.rand(2, 1, 12, 12)
    assert torch.equal(loaded.translate(x, "b2a"), model.translate(x, "b2a"))
    assert torch.equal(loaded.pools["a"].images, model.pools["a"].images)


def _trainer(run_dir, max_steps=None) -> Trainer:
    seed_everything(0)
    model = CycleGAN(CycleGANConfig(**{**TINY, "pool_size": 6}))
    settings = engine_config(epochs=2, batch_size=4, max_steps=max_steps)
    run_dir.mkdir(parents=True, exist_ok=True)
    return Trainer(model, pair_bundle(16, layout="unpaired"), settings, run_dir, DistContext())


def test_resume_is_exact_with_the_pool_in_the_checkpoint(tmp_path) -> None:
    with one_thread():
        _trainer(tmp_path / "whole").fit()
        _trainer(tmp_path / "broken", max_steps=6).fit()  # mid epoch 2, the pools full
        seed_everything(123)  # the RNG state before resuming must not matter
        resumed = _trainer(tmp_path / "broken")
        resumed.resume_from(latest_checkpoint(tmp_path / "broken"))
        assert len(resumed.model.pools["a"]) == 6
        resumed.fit()
    whole = load_file(str(latest_checkpoint(tmp_path / "whole") / "model.safetensors"))
    broken = load_file(str(latest_checkpoint(tmp_path / "broken") / "model.safetensors"))
    assert whole.keys() == broken.keys() and "pools.b.images" in whole
    assert all(torch.equal(whole[k], broken[k]) for k in whole)


def test_engine_run_writes_both_grids_and_validation_numbers(tmp_path) -> None:
    model = CycleGAN(CycleGANConfig(**TINY))
    data = pair_bundle(16, layout="unpaired")
    run_engine(model, tmp_path, data, batch_size=8)
    for name in ("a2b", "b2a"):
        assert (tmp_path / "images" / name / "epoch-0001.png").is_file()
    (record,) = [r for r in read_metrics(tmp_path) if "val/cycle_a_l1" in r]
    # the validation pairs, cycled A -> B -> A and B -> A -> B by the trained model
    model.eval()
    real_a, real_b = split_pair(data.val.images.float() / 255.0)
    with torch.no_grad():
        cycled_a = model.translate(model.translate(real_a, "a2b"), "b2a")
        cycled_b = model.translate(model.translate(real_b, "b2a"), "a2b")
    for domain, cycled, real in (("a", cycled_a, real_a), ("b", cycled_b, real_b)):
        l1 = (cycled - real).abs().mean().item()
        psnr = per_image_psnr(cycled, real).mean().item()
        assert record[f"val/cycle_{domain}_l1"] == pytest.approx(l1, rel=1e-5)
        assert record[f"val/cycle_{domain}_psnr"] == pytest.approx(psnr, rel=1e-5)
    assert record["epoch"] == 1 and "val/d_loss" in record
    loaded = load_model(tmp_path)
    assert loaded.sample(3, torch.Generator().manual_seed(0)).shape == (3, 1, 12, 12)
