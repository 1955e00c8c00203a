"""latentforge: deep generative models that train, show what they learned, and are measured.

Quick start::

    from latentforge.models import VAE, VAEConfig
    model = VAE(VAEConfig(in_channels=1, image_size=(28, 28), latent_dim=16))
    loss = model.loss(images).loss          # images: float tensor in [0, 1], (N, C, H, W)
    samples = model.sample(64)
"""

from latentforge.errors import LatentforgeError

__version__ = "0.1.0"
__all__ = ["LatentforgeError", "__version__"]
