r"""Feature ("perceptual") losses: compare images by the activations of a network.

Ledig et al. 2017 (https://arxiv.org/abs/1609.04802, section 2.2.1) replace part of the pixel
MSE by a distance between feature maps phi(x) of a fixed network, so that a super-resolved
image is judged by its edges and textures rather than pixel by pixel (Johnson et al. 2016,
https://arxiv.org/abs/1603.08155). With feature maps phi_l, l = 1..L:

.. math::  L_\text{feat}(\hat x, x) = \frac1L \sum_l
           \frac{\lVert\phi_l(\hat x) - \phi_l(x)\rVert^2}{\lVert\phi_l(x)\rVert^2}

(:func:`feature_loss`; squared norms over the whole batch). Dividing by the target's energy
makes the number scale-free: it is a relative squared error, about 1 for unrelated images and
0 for equal ones whatever the network, so one weight fits every extractor. (The paper divides
VGG activations by a constant, 12.75, to the same end.)

Networks here (each maps images in [0, 1] ``(N, C, H, W)`` to a list of feature maps):

- :class:`VGG19Features`: VGG19 (Simonyan & Zisserman 2015, https://arxiv.org/abs/1409.1556)
  up to ``relu2_2`` or ``relu5_4`` (the paper's VGG22 and VGG54), with torchvision's ImageNet
  weights read from disk; latentforge never downloads them.
- :class:`RandomFeatures`: three fixed convolutions with seeded random weights; needs no data
  and no download (random filters already capture local structure: Ustyuzhaninov et al.
  2017, https://arxiv.org/abs/1606.00021).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch import Tensor, nn

from latentforge.errors import ConfigError, ShapeError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
VGG19_FILE = "vgg19-dcbb9e9d.pth"  # torchvision's VGG19_Weights.IMAGENET1K_V1
# The convolution widths of VGG19 ("M": 2x2 max pooling), the layout torchvision numbers.
VGG19_LAYOUT = (
    64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M",
    512, 512, 512, 512, "M", 512, 512, 512, 512, "M",
)  # fmt: skip
VGG19_LAYERS = {"relu2_2": 9, "relu5_4": 36}  # how many modules of ``features`` to keep


def feature_loss(fake: Sequence[Tensor], real: Sequence[Tensor], eps: float = 1e-8) -> Tensor:
    """Mean over layers of ``||phi_l(fake) - phi_l(real)||^2 / ||phi_l(real)||^2`` (the real
    features are targets: detached)."""
    if len(fake) != len(real) or not fake:
        raise ShapeError(
            f"need the same non-zero number of feature maps, got {len(fake)}, {len(real)}"
        )
    terms = []
    for a, b in zip(fake, real):
        b = b.detach()
        terms.append((a - b).pow(2).sum() / b.pow(2).sum().clamp_min(eps))
    return torch.stack(terms).mean()


def layer_outputs(layers: nn.Sequential, x: Tensor) -> list[Tensor]:
    """The output of every module of ``layers`` in turn (a network's intermediate features)."""
    outputs = []
    for layer in layers:
        x = layer(x)
        outputs.append(x)
    return outputs


def vgg19_layers(depth: int = 36) -> nn.Sequential:
    """The first ``depth`` modules of VGG19's convolutional part, numbered as torchvision's
    ``vgg19().features`` (so its checkpoint's ``features.<i>.*`` keys fit)."""
    layers: list[nn.Module] = []
    channels = 3
    for width in VGG19_LAYOUT:
        if width == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(channels, int(width), 3, padding=1), nn.ReLU(inplace=False)]
            channels = int(width)
    return nn.Sequential(*layers[:depth])


def default_vgg19_path() -> Path:
    """Where torchvision keeps its downloaded VGG19 weights: ``$TORCH_HOME/hub/checkpoints``
    (``~/.cache/torch/hub/checkpoints`` by default)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / VGG19_FILE


class VGG19Features(nn.Module):
    """VGG19 activations at ``layer`` (``relu2_2`` or ``relu5_4``) of images in [0, 1]; grey
    images are repeated to three channels, then normalised with the ImageNet mean and std."""

    def __init__(self, weights: str | Path | None = None, layer: str = "relu5_4") -> None:
        super().__init__()
        if layer not in VGG19_LAYERS:
            raise ConfigError(
                f"--vgg-layer must be one of {', '.join(VGG19_LAYERS)}, got {layer!r}"
            )
        path = Path(weights).expanduser() if weights else default_vgg19_path()
        if not path.is_file():
            raise ConfigError(
                f"--feature-extractor vgg19 needs torchvision's ImageNet VGG19 weights on disk, "
                f"and there is no file at {path}. latentforge never downloads them: fetch "
                f"{VGG19_FILE} (torchvision.models.VGG19_Weights.IMAGENET1K_V1) where you have "
                "network access, then put it there or pass --vgg-weights PATH; or use "
                "--feature-extractor discriminator (the default) or random"
            )
        self.layers = vgg19_layers(VGG19_LAYERS[layer])
        self.layers.load_state_dict(_vgg_state(path, len(self.layers)), strict=True)
        self.layers.requires_grad_(False).eval()
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, images: Tensor) -> list[Tensor]:
        if images.shape[1] == 1:
            images = images.expand(-1, 3, -1, -1)  # grey -> RGB
        elif images.shape[1] != 3:
            raise ShapeError(f"VGG19 features need 1 or 3 channels, got {images.shape[1]}")
        return [self.layers((images - self.mean) / self.std)]


def _vgg_state(path: Path, depth: int) -> dict[str, Tensor]:
    """The ``features.<i>.*`` tensors of a torchvision VGG19 checkpoint for the first ``depth``
    modules, renamed ``<i>.*``."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any failure to read is the file's problem
        raise ConfigError(f"cannot read VGG19 weights {path}: {err}") from None
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    wanted = {}
    for key, value in state.items() if isinstance(state, dict) else ():
        if key.startswith("features.") and int(key.split(".")[1]) < depth:
            wanted[key.removeprefix("features.")] = value
    if not wanted:
        raise ConfigError(f"{path} holds no VGG19 'features.*' weights; is it {VGG19_FILE}?")
    return wanted


class RandomFeatures(nn.Module):
    """Three fixed 3x3 convolutions with ReLU (widths 32, 64, 64; the last two stride 2) and
    Kaiming-normal weights drawn from a generator seeded with ``seed``: the same network in
    every process and run, so it need not be saved. Returns the three activations."""

    def __init__(self, in_channels: int, seed: int = 0) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels, 32, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(64, 64, 3, stride=2, padding=1),
            nn.ReLU(),
        )
        with torch.no_grad():
            for layer in self.layers:
                if isinstance(layer, nn.Conv2d):
                    nn.init.kaiming_normal_(layer.weight, nonlinearity="relu", generator=generator)
                    layer.bias.zero_()
        self.layers.requires_grad_(False)

    def forward(self, images: Tensor) -> list[Tensor]:
        outputs = layer_outputs(self.layers, images * 2.0 - 1.0)
        return [out for layer, out in zip(self.layers, outputs) if isinstance(layer, nn.ReLU)]
