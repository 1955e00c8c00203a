"""Models: each registers its name in ``MODELS`` and has a dataclass config."""

from latentforge.models.autoencoder import Autoencoder, AutoencoderConfig
from latentforge.models.base import MODELS, GenerativeModel, ModelConfig, build_model
from latentforge.models.dbvae import DBVAE, DBVAEConfig
from latentforge.models.vae import VAE, VAEConfig

__all__ = [
    "DBVAE",
    "MODELS",
    "VAE",
    "Autoencoder",
    "AutoencoderConfig",
    "DBVAEConfig",
    "GenerativeModel",
    "ModelConfig",
    "VAEConfig",
    "build_model",
]
