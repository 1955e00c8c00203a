"""GAN models: shapes for any image size, presets, config checks, save/load round trips."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from latentforge.errors import CheckpointError, ConfigError, ShapeError
from latentforge.models import (
    DCGAN,
    GAN,
    MODELS,
    WGAN,
    WGANGP,
    DCGANConfig,
    GANConfig,
    GenerativeModel,
    WGANConfig,
    WGANGPConfig,
)
from latentforge.models.adversarial import AdversarialConfig

SHAPES = [(1, (28, 28)), (3, (32, 32)), (1, (64, 48))]
SMALL_DCGAN = {"g_channels": (8, 16), "d_channels": (8, 16)}


@pytest.mark.parametrize(("channels", "size"), SHAPES)
@pytest.mark.parametrize("kernel", [3, 4])
def test_dcgan_images_and_scores_have_the_right_shapes(channels, size, kernel) -> None:
    model = DCGAN(
        DCGANConfig(in_channels=channels, image_size=size, kernel_size=kernel, **SMALL_DCGAN)
    )
    images = model.sample(5, generator=torch.Generator().manual_seed(0))
    assert images.shape == (5, channels, *size)
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert model.discriminate(images).shape == (5,)


@pytest.mark.parametrize(("channels", "size"), SHAPES)
def test_mlp_gan_images_and_scores_have_the_right_shapes(channels, size) -> None:
    model = GAN(GANConfig(in_channels=channels, image_size=size, g_hidden=(16,), d_hidden=(16,)))
    images = model.sample(4)
    assert images.shape == (4, channels, *size)
    assert model.discriminate(images).shape == (4,)


def test_sample_is_decode_of_seeded_noise_mapped_from_tanh_range() -> None:
    model = DCGAN(DCGANConfig(**SMALL_DCGAN)).eval()
    z = torch.randn(3, model.latent_dim, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        expected = (model.generator(z) + 1.0) / 2.0  # tanh output in [-1, 1] -> [0, 1]
    got = model.sample(3, generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(got, expected)


def test_discriminator_sees_images_in_minus_one_to_one() -> None:
    seen = []

    class Spy(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.zeros(()))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            seen.append(x)
            return x.flatten(1).sum(1) * self.w

    model = GAN(GANConfig(g_hidden=(8,), d_hidden=(8,)), discriminator=Spy())
    seen.clear()
    images = torch.rand(2, 1, 28, 28)
    model.discriminate(images)
    torch.testing.assert_close(seen[-1], images * 2 - 1)


@pytest.mark.parametrize(
    ("cls", "config_cls"),
    [(GAN, GANConfig), (DCGAN, DCGANConfig), (WGAN, WGANConfig), (WGANGP, WGANGPConfig)],
)
def test_save_and_load_round_trip_gives_the_same_model(tmp_path, cls, config_cls) -> None:
    small = {"g_hidden": (8,), "d_hidden": (8,)} if cls is GAN else SMALL_DCGAN
    model = cls(config_cls(image_size=(16, 12), z_dim=7, **small)).eval()
    model.save_pretrained(tmp_path / "m")
    loaded = GenerativeModel.from_pretrained(tmp_path / "m").eval()
    assert type(loaded) is cls and loaded.config == model.config
    z = torch.randn(4, 7)
    images = torch.rand(4, 1, 16, 12)
    with torch.no_grad():
        torch.testing.assert_close(loaded.decode(z), model.decode(z))
        torch.testing.assert_close(loaded.discriminate(images), model.discriminate(images))


def test_registered_names_and_presets() -> None:
    assert {"gan", "dcgan", "wgan", "wgan-gp"} <= set(MODELS.names())
    assert MODELS.get("wgan-gp") is WGANGP and MODELS.get("wgan") is WGAN
    wgan, gp, dc = WGANConfig(), WGANGPConfig(), DCGANConfig()
    # Arjovsky et al. 2017: clipping at 0.01, RMSprop lr 5e-5, n_critic = 5
    assert (wgan.loss, wgan.clip, wgan.optimizer, wgan.lr_d, wgan.lr_g, wgan.d_steps) == (
        "wasserstein",
        0.01,
        "rmsprop",
        5e-5,
        5e-5,
        5,
    )
    # Gulrajani et al. 2017: lambda = 10, Adam lr 1e-4, betas (0, 0.9), n_critic = 5
    assert (gp.loss, gp.gp_weight, gp.optimizer, gp.lr_d, gp.beta1, gp.beta2, gp.d_steps) == (
        "wasserstein-gp",
        10.0,
        "adam",
        1e-4,
        0.0,
        0.9,
        5,
    )
    assert gp.clip is None and gp.d_norm == "none"
    # Radford et al. 2015: Adam lr 2e-4, beta1 0.5
    assert (dc.loss, dc.optimizer, dc.lr_d, dc.lr_g, dc.beta1) == (
        "non-saturating",
        "adam",
        2e-4,
        2e-4,
        0.5,
    )
    # presets only change defaults: same fields as the DCGAN config
    names = [f.name for f in dataclasses.fields(DCGANConfig)]
    assert [f.name for f in dataclasses.fields(WGANConfig)] == names
    assert [f.name for f in dataclasses.fields(WGANGPConfig)] == names


def test_every_preset_default_can_be_overridden() -> None:
    config = WGANConfig.from_dict({"clip": 0.05, "d_steps": 2, "optimizer": "adam"})
    assert (config.clip, config.d_steps, config.optimizer) == (0.05, 2, "adam")


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"loss": "nope"}, "--loss"),
        ({"loss": "wasserstein"}, "--clip"),
        ({"optimizer": "lbfgs"}, "--optimizer"),
        ({"d_steps": 0}, "--d-steps"),
        ({"lr_g": 0.0}, "--lr-g"),
        ({"beta1": 1.0}, "--beta1"),
        ({"clip": -1.0}, "--clip"),
        ({"gp_weight": -1.0}, "--gp-weight"),
        ({"z_dim": 0}, "--z-dim"),
    ],
)
def test_bad_options_fail_early_naming_the_option(values, words) -> None:
    with pytest.raises(ConfigError, match=words):
        AdversarialConfig(**values)


def test_bad_architecture_options_fail_early() -> None:
    with pytest.raises(ConfigError, match="--d-norm"):
        DCGANConfig(d_norm="fancy")
    with pytest.raises(ConfigError, match="--g-hidden"):
        GANConfig(g_hidden=(0,))


def test_custom_generator_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(ShapeError, match="generator maps"):
        GAN(GANConfig(z_dim=4), generator=nn.Linear(4, 10))


def test_loading_into_the_wrong_class_is_refused(tmp_path) -> None:
    GAN(GANConfig(g_hidden=(8,), d_hidden=(8,))).save_pretrained(tmp_path / "g")
    with pytest.raises(CheckpointError, match="not a DCGAN"):
        DCGAN.from_pretrained(tmp_path / "g")
