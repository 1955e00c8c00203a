"""Models: each registers its name in ``MODELS`` and has a dataclass config."""

from latentforge.models.adversarial import AdversarialConfig, AdversarialModel
from latentforge.models.autoencoder import Autoencoder, AutoencoderConfig
from latentforge.models.base import MODELS, GenerativeModel, ModelConfig, build_model
from latentforge.models.cyclegan import CycleGAN, CycleGANConfig
from latentforge.models.dbvae import DBVAE, DBVAEConfig
from latentforge.models.dcgan import DCGAN, DCGANConfig
from latentforge.models.gan import GAN, GANConfig
from latentforge.models.inpainting import Inpainting, InpaintingConfig
from latentforge.models.pix2pix import Pix2Pix, Pix2PixConfig
from latentforge.models.progan import ProGAN, ProGANConfig
from latentforge.models.restoration import RestorationConfig, RestorationGAN
from latentforge.models.srgan import SRGAN, SRGANConfig
from latentforge.models.translation import TranslationModel
from latentforge.models.vae import VAE, VAEConfig
from latentforge.models.wgan import WGAN, WGANGP, WGANConfig, WGANGPConfig

__all__ = [
    "DCGAN",
    "GAN",
    "DBVAE",
    "MODELS",
    "SRGAN",
    "ProGAN",
    "VAE",
    "WGAN",
    "WGANGP",
    "AdversarialConfig",
    "AdversarialModel",
    "Autoencoder",
    "AutoencoderConfig",
    "CycleGAN",
    "CycleGANConfig",
    "DCGANConfig",
    "GANConfig",
    "DBVAEConfig",
    "GenerativeModel",
    "Inpainting",
    "InpaintingConfig",
    "ModelConfig",
    "Pix2Pix",
    "Pix2PixConfig",
    "TranslationModel",
    "RestorationConfig",
    "RestorationGAN",
    "SRGANConfig",
    "ProGANConfig",
    "VAEConfig",
    "WGANConfig",
    "WGANGPConfig",
    "build_model",
]
