import json

import pytest
import torch
from torch import nn

from latentforge.errors import CheckpointError, ConfigError, ShapeError
from latentforge.losses.divergence import kl_standard_normal
from latentforge.models import VAE, Autoencoder, AutoencoderConfig, GenerativeModel, VAEConfig

SMALL = dict(latent_dim=4, hidden_channels=(8, 16))


@pytest.fixture
def images():
    return torch.rand(6, 1, 28, 28, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("cls,config_cls", [(Autoencoder, AutoencoderConfig), (VAE, VAEConfig)])
def test_save_and_load_round_trip_gives_identical_outputs(tmp_path, images, cls, config_cls):
    model = cls(config_cls(**SMALL)).eval()
    model.save_pretrained(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "config.json",
        "model.safetensors",
    ]
    loaded = GenerativeModel.from_pretrained(tmp_path / "m")
    assert type(loaded) is cls and loaded.config == model.config
    assert torch.equal(loaded.reconstruct(images), model.reconstruct(images))


def test_tampered_weights_are_detected(tmp_path):
    VAE(VAEConfig(**SMALL)).save_pretrained(tmp_path / "m")
    weights = tmp_path / "m" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-3] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="does not match the checksum"):
        GenerativeModel.from_pretrained(tmp_path / "m")


def test_corrupt_config_and_unknown_type_are_clear_errors(tmp_path):
    VAE(VAEConfig(**SMALL)).save_pretrained(tmp_path / "m")
    config = tmp_path / "m" / "config.json"
    original = config.read_text()
    config.write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        GenerativeModel.from_pretrained(tmp_path / "m")
    meta = json.loads(original)
    meta["model_type"] = "nope"
    config.write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="unknown model type 'nope'"):
        GenerativeModel.from_pretrained(tmp_path / "m")
    meta["model_type"] = "vae"
    meta["config"]["latent_dim"] = 5
    config.write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="do not fit the config"):
        GenerativeModel.from_pretrained(tmp_path / "m")


def test_loading_with_the_wrong_class_is_refused(tmp_path):
    VAE(VAEConfig(**SMALL)).save_pretrained(tmp_path / "m")
    with pytest.raises(CheckpointError, match="holds a 'vae' model, not a Autoencoder"):
        Autoencoder.from_pretrained(tmp_path / "m")


def test_vae_loss_is_bce_sum_plus_beta_kl(images):
    model = VAE(VAEConfig(beta=2.5, **SMALL))
    torch.manual_seed(3)
    out = model.loss(images)
    torch.manual_seed(3)
    mu, logvar = model.encode_distribution(images)
    z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
    p = torch.sigmoid(model.decode_logits(z))
    bce = -(images * torch.log(p) + (1 - images) * torch.log(1 - p)).sum(dim=(1, 2, 3)).mean()
    kl = (-0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(1)).mean()
    assert torch.allclose(out.logs["recon"], bce, rtol=1e-4)
    assert torch.allclose(out.logs["kl"], kl, rtol=1e-5)
    assert torch.allclose(out.loss, bce + 2.5 * kl, rtol=1e-4)
    assert torch.allclose(kl_standard_normal(mu, logvar).mean(), kl)


def test_ae_mse_loss_is_summed_over_pixels_and_averaged_over_batch(images):
    model = Autoencoder(AutoencoderConfig(**SMALL))
    out = model.loss(images)
    recon = torch.sigmoid(model.decode_logits(model.encode(images)))
    assert torch.allclose(out.loss, ((recon - images) ** 2).sum(dim=(1, 2, 3)).mean(), rtol=1e-5)


def test_denoising_inputs_feed_the_encoder_and_clean_images_are_the_target(images):
    model = Autoencoder(AutoencoderConfig(**SMALL))
    noisy = (images + 0.3).clamp(0, 1)
    out = model.loss(images, inputs=noisy)
    recon = torch.sigmoid(model.decode_logits(model.encode(noisy)))
    assert torch.allclose(out.loss, ((recon - images) ** 2).sum(dim=(1, 2, 3)).mean(), rtol=1e-5)


def test_samples_are_images_in_unit_range_and_seeded():
    model = VAE(VAEConfig(**SMALL))
    a = model.sample(5, generator=torch.Generator().manual_seed(1))
    b = model.sample(5, generator=torch.Generator().manual_seed(1))
    assert a.shape == (5, 1, 28, 28) and torch.equal(a, b)
    assert a.min() >= 0 and a.max() <= 1


def test_autoencoder_samples_from_the_gaussian_fitted_to_its_codes(images):
    model = Autoencoder(AutoencoderConfig(**SMALL))
    many = torch.rand(400, 1, 28, 28, generator=torch.Generator().manual_seed(2))
    model.fit_latent_gaussian(iter([{"images": many[:200]}, {"images": many[200:]}]))
    codes = model.encode(many).detach()
    assert torch.allclose(model.latent_mean, codes.mean(0), atol=1e-5)
    cov = model.latent_scale_tril @ model.latent_scale_tril.T
    assert torch.allclose(cov, torch.cov(codes.T), atol=1e-4)


def test_custom_networks_are_accepted_and_checked():
    config = VAEConfig(latent_dim=3, image_size=(8, 8))
    encoder = nn.Sequential(nn.Flatten(), nn.Linear(64, 6))
    decoder = nn.Sequential(nn.Linear(3, 64), nn.Unflatten(1, (1, 8, 8)))
    model = VAE(config, encoder=encoder, decoder=decoder)
    assert model.sample(2).shape == (2, 1, 8, 8)
    with pytest.raises(
        ShapeError, match=r"encoder maps \(N, 1, 8, 8\) to \(N, 3\); it must give \(N, 6\)"
    ):
        VAE(config, encoder=nn.Sequential(nn.Flatten(), nn.Linear(64, 3)), decoder=decoder)
    with pytest.raises(ShapeError, match="decoder fails on input"):
        VAE(config, encoder=encoder, decoder=nn.Linear(5, 5))


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"latent_dim": 0}, "--latent-dim"),
        ({"upsample": "cubic"}, "--upsample"),
        ({"reconstruction": "l1"}, "--reconstruction"),
        ({"beta": -1.0}, "--beta"),
        ({"norm": "weird"}, "--norm"),
    ],
)
def test_bad_config_values_name_the_option(changes, message):
    with pytest.raises(ConfigError, match=message):
        VAEConfig(**{**SMALL, **changes})


@pytest.mark.parametrize("size,channels", [((32, 32), 3), ((20, 12), 1)])
def test_models_work_for_other_image_shapes(size, channels):
    model = VAE(VAEConfig(in_channels=channels, image_size=size, **SMALL))
    x = torch.rand(2, channels, *size)
    assert model.reconstruct(x).shape == x.shape
    assert torch.isfinite(model.loss(x).loss)
