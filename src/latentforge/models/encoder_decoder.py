"""What autoencoders share: building (or checking) an encoder and a decoder, decoding to
[0, 1], reconstruction and the per-epoch image grids."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import torch
from torch import Tensor, nn

from latentforge.config import require
from latentforge.losses.reconstruction import RECONSTRUCTION_LOSSES
from latentforge.models.base import GenerativeModel, ModelConfig
from latentforge.models.capabilities import Encodes
from latentforge.nn.conv_nets import ConvDecoder, ConvEncoder, expect_output_shape
from latentforge.nn.norms_activations import ACTIVATIONS, NORMS
from latentforge.nn.upsample import UPSAMPLE_MODES
from latentforge.steps.phases import Batch, LossOutput, OptimizerSpec, Phase
from latentforge.utils.seeding import randn
from latentforge.viz.grid import interleave_rows


@dataclasses.dataclass
class EncoderDecoderConfig(ModelConfig):
    """Shape of the default convolutional encoder and decoder."""

    latent_dim: int = 16
    hidden_channels: tuple[int, ...] = (32, 64, 128)
    upsample: str = "transposed"
    norm: str = "none"
    activation: str = "leaky_relu"
    reconstruction: str = "mse"

    option_help: ClassVar[dict[str, str]] = {
        "latent_dim": "size of the latent code",
        "hidden_channels": "feature maps of the encoder's stages (the decoder mirrors them)",
        "upsample": f"how the decoder grows the image: {', '.join(UPSAMPLE_MODES)}",
        "norm": f"normalisation after each convolution: {', '.join(NORMS)}",
        "activation": f"nonlinearity: {', '.join(ACTIVATIONS)}",
        "reconstruction": f"reconstruction loss: {', '.join(RECONSTRUCTION_LOSSES)}",
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        require(self.latent_dim >= 1, f"--latent-dim must be >= 1, got {self.latent_dim}")
        require(
            len(self.hidden_channels) >= 1 and min(self.hidden_channels) >= 1,
            f"--hidden-channels must be positive ints, got {self.hidden_channels}",
        )
        require(
            self.upsample in UPSAMPLE_MODES,
            f"--upsample must be one of {', '.join(UPSAMPLE_MODES)}, got {self.upsample!r}",
        )
        require(self.norm in NORMS, f"--norm must be one of {', '.join(NORMS)}, got {self.norm!r}")
        require(
            self.activation in ACTIVATIONS,
            f"--activation must be one of {', '.join(ACTIVATIONS)}, got {self.activation!r}",
        )
        require(
            self.reconstruction in RECONSTRUCTION_LOSSES,
            f"--reconstruction must be one of {', '.join(RECONSTRUCTION_LOSSES)}, "
            f"got {self.reconstruction!r}",
        )


class EncoderDecoderModel(GenerativeModel, Encodes):
    """An encoder to ``encoder_outputs`` features and a decoder from ``latent_dim`` back.

    Any ``nn.Module`` may stand in for either network; its shapes are checked here.
    """

    config: EncoderDecoderConfig

    def __init__(
        self,
        config: EncoderDecoderConfig,
        encoder: nn.Module | None = None,
        decoder: nn.Module | None = None,
    ) -> None:
        super().__init__(config)
        c = config
        image_shape = (c.in_channels, *c.image_size)
        self.encoder = encoder or ConvEncoder(
            c.in_channels,
            c.image_size,
            self.encoder_outputs,
            c.hidden_channels,
            c.norm,
            c.activation,
        )
        self.decoder = decoder or ConvDecoder(
            c.latent_dim,
            c.in_channels,
            c.image_size,
            c.hidden_channels,
            c.upsample,
            c.norm,
            c.activation,
        )
        expect_output_shape(self.encoder, "encoder", image_shape, (self.encoder_outputs,))
        expect_output_shape(self.decoder, "decoder", (c.latent_dim,), image_shape)
        self.reconstruction_loss = RECONSTRUCTION_LOSSES.get(c.reconstruction)

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    @property
    def encoder_outputs(self) -> int:
        return self.config.latent_dim

    def encoder_features(self, images: Tensor) -> Tensor:
        """The raw encoder output for images in [0, 1] (mapped to [-1, 1] inside)."""
        return self.encoder(images * 2.0 - 1.0)

    def decode_logits(self, z: Tensor) -> Tensor:
        return self.decoder(z)

    def decode(self, z: Tensor) -> Tensor:
        """Latent codes ``(N, latent_dim)`` -> images ``(N, C, H, W)`` in [0, 1]."""
        return torch.sigmoid(self.decode_logits(z))

    def encode(self, images: Tensor) -> Tensor:
        raise NotImplementedError

    def latent_prior(self) -> tuple[Tensor, Tensor]:
        """Mean ``(D,)`` and lower Cholesky factor ``L`` ``(D, D)`` of the Gaussian that codes
        are drawn from for new images: z ~ N(mean, L L^T)."""
        raise NotImplementedError

    def sample_latent(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` codes ``(n, latent_dim)`` from :meth:`latent_prior`: z = mean + L eps."""
        mean, scale_tril = self.latent_prior()
        eps = randn((n, self.config.latent_dim), generator, self.device)
        return mean + eps @ scale_tril.T  # (n, D) @ (D, D)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        return self.decode(self.sample_latent(n, generator))

    @torch.no_grad()
    def reconstruct(self, images: Tensor) -> Tensor:
        """Decode the code of each image (the VAE uses the posterior mean)."""
        return self.decode(self.encode(images))

    def loss(self, images: Tensor, inputs: Tensor | None = None) -> LossOutput:
        """Training loss for reconstructing ``images`` from ``inputs`` (default: ``images``;
        a corrupted copy for denoising)."""
        raise NotImplementedError

    def batch_loss(self, batch: Batch) -> LossOutput:
        """The loss on a batch: ``batch["inputs"]`` when present (denoising), else the images."""
        return self.loss(batch["images"], batch.get("inputs"))

    def training_phases(self, train) -> list[Phase]:
        return [
            Phase(
                name=self.model_type,
                parameters=list(self.parameters()),
                optimizer=OptimizerSpec("adam", lr=train.lr),
                loss=self.batch_loss,
            )
        ]

    def evaluation_losses(self, batch: Batch) -> dict[str, Tensor]:
        out = self.batch_loss(batch)
        values = {"loss": out.loss.detach()}
        values.update({k: torch.as_tensor(v) for k, v in out.logs.items()})
        return values

    @torch.no_grad()
    def visualize(self, batch: Batch, generator: torch.Generator) -> dict[str, Tensor]:
        inputs = batch.get("inputs", batch["images"])[:32]
        return {
            "samples": self.sample(64, generator=generator),
            "reconstructions": interleave_rows(inputs, self.reconstruct(inputs), per_row=8),
        }
