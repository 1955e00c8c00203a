"""Models: each registers its name in ``MODELS`` and has a dataclass config."""

from latentforge.models.adversarial import AdversarialConfig, AdversarialModel
from latentforge.models.autoencoder import Autoencoder, AutoencoderConfig
from latentforge.models.base import MODELS, GenerativeModel, ModelConfig, build_model
from latentforge.models.dcgan import DCGAN, DCGANConfig
from latentforge.models.gan import GAN, GANConfig
from latentforge.models.progan import ProGAN, ProGANConfig
from latentforge.models.vae import VAE, VAEConfig
from latentforge.models.wgan import WGAN, WGANGP, WGANConfig, WGANGPConfig

__all__ = [
    "DCGAN",
    "GAN",
    "MODELS",
    "ProGAN",
    "VAE",
    "WGAN",
    "WGANGP",
    "AdversarialConfig",
    "AdversarialModel",
    "Autoencoder",
    "AutoencoderConfig",
    "DCGANConfig",
    "GANConfig",
    "GenerativeModel",
    "ModelConfig",
    "ProGANConfig",
    "VAEConfig",
    "WGANConfig",
    "WGANGPConfig",
    "build_model",
]
