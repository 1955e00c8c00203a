"""srgan: config checks, shapes, the losses against their formulas, save/load, engine runs."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F

from latentforge.errors import ConfigError
from latentforge.losses import non_saturating_generator_loss
from latentforge.losses.perceptual import feature_loss, layer_outputs
from latentforge.models import MODELS, SRGAN, GenerativeModel, SRGANConfig
from latentforge.models.adversarial import AdversarialGameConfig
from latentforge.steps.train_config import TrainConfig

from .helpers import blob_bundle, run_engine, tiny_inpainting, tiny_srgan


def test_srgan_is_registered_with_the_paper_defaults() -> None:
    assert MODELS.get("srgan") is SRGAN
    c = SRGANConfig()
    assert (c.factor, c.adversarial_weight, c.width, c.blocks, c.lr_g, c.beta1) == (
        4, 1e-3, 64, 16, 1e-4, 0.9
    )  # fmt: skip


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"image_size": (28, 30)}, "multiples"),
        ({"factor": 3}, "--factor"),
        ({"downscale": "nearest"}, "--downscale"),
        ({"feature_extractor": "inception"}, "--feature-extractor"),
        ({"adversarial_weight": 0.0}, "needs a trained discriminator"),
        ({"adversarial_weight": -1.0}, "--adversarial-weight"),
        ({"loss": "wasserstein"}, "--clip"),
        ({"vgg_layer": "relu1_1"}, "--vgg-layer"),
    ],
)
def test_bad_options_fail_with_the_option_named(options, match) -> None:
    with pytest.raises(ConfigError, match=match):
        SRGANConfig(**options)


@pytest.mark.parametrize(("factor", "size"), [(2, (28, 28)), (4, (28, 28)), (4, (112, 92))])
def test_reconstruct_upscale_and_sample_shapes(factor, size) -> None:
    model = tiny_srgan(factor=factor, image_size=size).eval()
    images = torch.rand(3, 1, *size)
    assert model.low_res_size == (size[0] // factor, size[1] // factor)
    assert model.reconstruct(images).shape == images.shape
    up = model.upscale(torch.rand(2, 1, 5, 6))
    assert up.shape == (2, 1, 5 * factor, 6 * factor) and up.min() >= 0 and up.max() <= 1
    with pytest.raises(ConfigError, match="no example images"):
        model.sample(2)
    model.remember_examples(images)
    assert model.sample(5).shape == (5, 1, *size)


def test_the_generator_sees_the_block_means_in_minus_one_to_one() -> None:
    model = tiny_srgan()
    images = torch.rand(2, 1, 28, 28)
    low = model.degrade(images)["low_res"]
    expected = images.view(2, 1, 7, 4, 7, 4).mean((3, 5)) * 2 - 1
    torch.testing.assert_close(low, expected)


def test_generator_loss_is_mse_plus_weighted_feature_and_adversarial_terms() -> None:
    torch.manual_seed(0)
    model = tiny_srgan(feature_weight=0.3, adversarial_weight=0.01)
    model.training_phases(TrainConfig())
    images = torch.rand(4, 1, 28, 28)
    out = model.generator_loss({"images": images})
    x = images * 2 - 1
    fake = model.generator(model.degrade(images)["low_res"])
    feats = lambda t: layer_outputs(model.discriminator.features, t)  # noqa: E731
    mse = F.mse_loss(fake, x)
    feature = feature_loss(feats(fake), feats(x))
    adversarial = non_saturating_generator_loss(model.discriminator(fake))
    expected = mse + 0.3 * feature + 0.01 * adversarial
    torch.testing.assert_close(out.loss, expected)
    torch.testing.assert_close(out.logs["pixel_mse"], mse.detach())


def test_mse_only_has_one_phase_and_no_feature_network() -> None:
    model = tiny_srgan(adversarial_weight=0.0, feature_extractor="none")
    (phase,) = model.training_phases(TrainConfig())
    assert phase.name == "generator" and phase.uses_data
    images = torch.rand(4, 1, 28, 28)
    out = phase.loss({"images": images})
    fake = model.generator(model.degrade(images)["low_res"])
    torch.testing.assert_close(out.loss, F.mse_loss(fake, images * 2 - 1))
    assert model.monitors() == []


def test_pretraining_comes_before_the_adversarial_phases() -> None:
    model = tiny_srgan(pretrain_steps=3, d_steps=2)
    phases = {p.name: p for p in model.training_phases(TrainConfig())}
    assert list(phases) == ["pretrain", "discriminator", "generator"]
    assert [phases["pretrain"].steps_at(c) for c in (0, 2, 3)] == [1, 1, 0]
    assert [phases["discriminator"].steps_at(c) for c in (2, 3)] == [0, 2]
    assert [phases["generator"].steps_at(c) for c in (2, 3)] == [0, 1]
    assert not phases["generator"].uses_data  # it restores the discriminator's last batch


@pytest.mark.parametrize("model_type", ["srgan", "inpainting"])
def test_restoration_games_warm_the_discriminator_up_after_the_pretraining(model_type) -> None:
    config_class = MODELS.get(model_type).config_class
    assert issubclass(config_class, AdversarialGameConfig)  # one set of game options
    build = tiny_srgan if model_type == "srgan" else tiny_inpainting
    model = build(pretrain_steps=2, d_steps=1, d_warmup_steps=4, d_warmup_cycles=3)
    phases = {p.name: p for p in model.training_phases(TrainConfig())}
    cycles = range(7)
    assert [phases["pretrain"].steps_at(c) for c in cycles] == [1, 1, 0, 0, 0, 0, 0]
    assert [phases["discriminator"].steps_at(c) for c in cycles] == [0, 0, 4, 4, 4, 1, 1]
    assert [phases["generator"].steps_at(c) for c in cycles] == [0, 0, 1, 1, 1, 1, 1]
    assert phases["generator"].log_grad_norm  # the health monitor reads it, as for a GAN
    with pytest.raises(ConfigError, match="--d-warmup-steps must be >= 1"):
        build(d_warmup_steps=0)


def test_random_features_stay_out_of_the_saved_weights(tmp_path) -> None:
    model = tiny_srgan(feature_extractor="random")
    before = set(model.state_dict())
    model.training_phases(TrainConfig())
    model.generator_loss({"images": torch.rand(2, 1, 28, 28)})
    assert set(model.state_dict()) == before


def test_vgg19_without_weights_fails_before_training_not_when_loading(tmp_path) -> None:
    model = tiny_srgan(feature_extractor="vgg19", vgg_weights=str(tmp_path / "none.pth"))
    model.save_pretrained(tmp_path / "saved")
    assert isinstance(GenerativeModel.from_pretrained(tmp_path / "saved"), SRGAN)
    with pytest.raises(ConfigError, match="never downloads"):
        model.training_phases(TrainConfig())


def test_save_and_load_round_trip_keeps_weights_and_examples(tmp_path) -> None:
    model = tiny_srgan(examples=4).eval()
    images = torch.rand(6, 1, 28, 28)
    model.remember_examples(images)
    model.save_pretrained(tmp_path / "m")
    loaded = GenerativeModel.from_pretrained(tmp_path / "m").eval()
    assert isinstance(loaded, SRGAN) and int(loaded.example_count) == 4
    torch.testing.assert_close(loaded.sample(4), model.sample(4))
    torch.testing.assert_close(
        loaded.upscale(images[:, :, :7, :7]), model.upscale(images[:, :, :7, :7])
    )


def test_a_short_run_trains_logs_validates_and_draws_grids(tmp_path) -> None:
    model = tiny_srgan(pretrain_steps=2)
    trainer = run_engine(model, tmp_path)
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    keys = set().union(*records)
    assert {"train/pretrain/pixel_mse", "train/discriminator/accuracy"} <= keys
    assert {"train/generator/adversarial", "val/psnr", "val/ssim", "val/mse"} <= keys
    assert trainer.progress.step == 3  # 48 images, batches of 16: one batch per cycle
    assert (tmp_path / "images" / "restorations" / "epoch-0001.png").is_file()
    assert int(model.example_count) == 16  # the validation images shown in the grid


def test_training_lowers_the_mse_below_bicubic_on_simple_images(tmp_path) -> None:
    """Sixty MSE steps on blobs improve on the bicubic start of the residual generator."""
    torch.manual_seed(0)
    data = blob_bundle(n=64, val=16)
    model = tiny_srgan(adversarial_weight=0.0, feature_extractor="none", lr_g=3e-3, g_norm="none")
    val = data.val.images.float() / 255
    start = F.mse_loss(model.eval().reconstruct(val), val).item()
    run_engine(model, tmp_path, data, epochs=15, log_every=50)
    assert F.mse_loss(model.eval().reconstruct(val), val).item() < 0.85 * start
