"""What sets a VAE apart from an AE: a Gaussian per latent attribute, codes drawn from it, the
N(0, I) prior; an AE gives one code and the same output every time."""

from __future__ import annotations

import torch

from latentforge.models import VAE, Autoencoder, AutoencoderConfig, VAEConfig
from latentforge.nn.gaussian import reparameterize

SMALL = dict(latent_dim=4, hidden_channels=(8, 16))


def images() -> torch.Tensor:
    return torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(0))


def test_the_vae_encoder_gives_a_mean_and_a_log_variance_per_latent_attribute() -> None:
    torch.manual_seed(0)
    model = VAE(VAEConfig(**SMALL))
    features = model.encoder_features(images())
    mu, logvar = model.encode_distribution(images())
    assert features.shape == (5, 8) and mu.shape == logvar.shape == (5, 4)
    assert torch.equal(mu, features[:, :4]) and torch.equal(logvar, features[:, 4:])
    assert torch.equal(model.encode(images()), mu)  # the code without sampling is the mean


def test_vae_outputs_vary_with_the_draw_and_ae_outputs_do_not() -> None:
    torch.manual_seed(0)
    vae = VAE(VAEConfig(**SMALL)).eval()
    ae = Autoencoder(AutoencoderConfig(**SMALL)).eval()
    x = images()
    with torch.no_grad():
        mu, logvar = vae.encode_distribution(x)
        draws = [vae.decode(reparameterize(mu, logvar)) for _ in range(3)]
        assert not torch.equal(draws[0], draws[1]) and not torch.equal(draws[1], draws[2])
        assert torch.equal(ae.reconstruct(x), ae.reconstruct(x))
        assert torch.equal(vae.reconstruct(x), vae.decode(mu))  # reconstruct decodes the mean


def test_the_vae_prior_is_the_standard_normal_and_samples_come_from_it() -> None:
    model = VAE(VAEConfig(**SMALL))
    mean, scale_tril = model.latent_prior()
    assert torch.equal(mean, torch.zeros(4)) and torch.equal(scale_tril, torch.eye(4))
    z = model.sample_latent(20_000, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(z.mean(0), torch.zeros(4), atol=0.03)
    assert torch.allclose(torch.cov(z.T), torch.eye(4), atol=0.04)
