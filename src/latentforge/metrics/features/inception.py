"""Inception-v3 pool3 features (2048-d), the features FID and KID are published with.

Szegedy et al. 2016, "Rethinking the Inception Architecture for Computer Vision",
https://arxiv.org/abs/1512.00567; FID: Heusel et al. 2017, https://arxiv.org/abs/1706.08500.

latentforge never downloads these weights. It reads a file the user already has, found as:

1. ``$LATENTFORGE_INCEPTION_WEIGHTS`` (a path to the file), else
2. one of the known file names below in ``$LATENTFORGE_HOME/weights/`` (see
   :mod:`latentforge.utils.cache`) or in torch's hub cache ``$TORCH_HOME/hub/checkpoints/``
   (``~/.cache/torch/hub/checkpoints/``), where torchvision, torch-fidelity and torchmetrics
   keep them.

Two weight sets exist. The "FID" weights (``pt_inception-2015-12-05-6726825d.pth`` of pytorch-fid,
``weights-inception-2015-12-05-6726825d.pth`` of torch-fidelity and torchmetrics) are the
TensorFlow graph FID was defined with, ported to PyTorch: 1008 classes, and average pools that
leave padding out of the mean (``count_include_pad=False``) in blocks 5b-5d, 6b-6e and 7b, a max
pool in 7c's pool branch. torchvision's ImageNet weights (``inception_v3_google-*.pth``) use the
plain architecture; their FID values are close to but not the published ones.

Input: images in [0, 1], grey repeated to RGB, resized to 299 x 299 (bilinear), scaled to
[-1, 1]. Resizing follows ``torch.nn.functional.interpolate``, not TensorFlow 1's resize, so
even with the FID weights the numbers differ slightly from the TensorFlow reference.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.models import inception as tv_inception

from latentforge.errors import CheckpointError, DataError
from latentforge.metrics.features.base import FeatureExtractor, gray_to_rgb
from latentforge.utils.cache import CACHE_ENV, cache_dir
from latentforge.utils.weights import file_sha256, load_state_exactly

WEIGHTS_ENV = "LATENTFORGE_INCEPTION_WEIGHTS"
FEATURE_DIM = 2048
INPUT_SIZE = 299
# Known file names -> weight set, in order of preference.
WEIGHT_FILES = {
    "pt_inception-2015-12-05-6726825d.pth": "fid",  # pytorch-fid
    "weights-inception-2015-12-05-6726825d.pth": "fid",  # torch-fidelity, torchmetrics
    "inception_v3_google-0cc3c7bd.pth": "torchvision",
    "inception_v3_google-1a9a5a14.pth": "torchvision",  # older torchvision releases
}
NUM_CLASSES = {"fid": 1008, "torchvision": 1000}


class _FIDPoolBranch:
    """Recompute an Inception block's pool branch with the FID network's pooling.

    torchvision's A, C and E blocks return their branches as a list whose last entry is the
    pool branch (average pool with padding counted, then a 1x1 convolution); here that entry
    is recomputed from ``fid_pool(x)`` (one extra 1x1 convolution per block, no copied code).
    """

    def _forward(self, x: Tensor) -> list[Tensor]:
        outputs = super()._forward(x)  # type: ignore[misc]
        outputs[-1] = self.branch_pool(self.fid_pool(x))  # type: ignore[attr-defined]
        return outputs

    @staticmethod
    def fid_pool(x: Tensor) -> Tensor:
        return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class FIDInceptionA(_FIDPoolBranch, tv_inception.InceptionA):
    pass


class FIDInceptionC(_FIDPoolBranch, tv_inception.InceptionC):
    pass


class FIDInceptionE1(_FIDPoolBranch, tv_inception.InceptionE):
    pass


class FIDInceptionE2(_FIDPoolBranch, tv_inception.InceptionE):
    @staticmethod
    def fid_pool(x: Tensor) -> Tensor:
        return F.max_pool2d(x, kernel_size=3, stride=1, padding=1)


# The blocks of the FID network that differ from torchvision's (same parameters, other pooling).
FID_BLOCKS = {
    **dict.fromkeys(("Mixed_5b", "Mixed_5c", "Mixed_5d"), FIDInceptionA),
    **dict.fromkeys(("Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e"), FIDInceptionC),
    "Mixed_7b": FIDInceptionE1,
    "Mixed_7c": FIDInceptionE2,
}


class InceptionV3Features(nn.Module):
    """torchvision's Inception-v3 (``variant="torchvision"``) or its FID variant (``"fid"``),
    returning the 2048-d pool3 features and the class logits.

    ``input_size`` is what images are resized to: 299 for the real thing; any size >= 75 runs
    (the adaptive pool still gives 2048 numbers), which keeps shape tests cheap.
    """

    def __init__(self, variant: str = "fid", input_size: int = INPUT_SIZE) -> None:
        super().__init__()
        self.input_size = input_size
        if variant not in NUM_CLASSES:
            raise DataError(f"unknown Inception variant {variant!r}; use 'fid' or 'torchvision'")
        self.variant = variant
        net = tv_inception.Inception3(
            num_classes=NUM_CLASSES[variant],
            aux_logits=False,
            transform_input=False,
            init_weights=False,
        )
        if variant == "fid":
            for name, fid_class in FID_BLOCKS.items():
                getattr(net, name).__class__ = fid_class  # a subclass with no extra state
        self.net = net

    def features_and_logits(self, images: Tensor) -> tuple[Tensor, Tensor]:
        if images.shape[1] == 1:
            images = gray_to_rgb(images)
        size = (self.input_size, self.input_size)
        x = F.interpolate(images, size=size, mode="bilinear", align_corners=False)
        x = x * 2.0 - 1.0  # what both weight sets were trained on
        net = self.net
        for name in (
            "Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1", "Conv2d_3b_1x1",
            "Conv2d_4a_3x3", "maxpool2", "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a",
            "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c",
        ):  # fmt: skip
            x = getattr(net, name)(x)  # ends as (N, 2048, 8, 8)
        features = net.avgpool(x).flatten(1)  # (N, 2048)
        return features, net.fc(features)


def search_dirs() -> list[Path]:
    """Folders searched for the known weight file names, in order."""
    return [cache_dir("weights"), Path(torch.hub.get_dir()) / "checkpoints"]


def find_weights() -> Path:
    """The Inception weight file to use, or a :class:`DataError` saying where to put one."""
    chosen = os.environ.get(WEIGHTS_ENV)
    if chosen:
        path = Path(chosen).expanduser()
        if not path.is_file():
            raise DataError(f"${WEIGHTS_ENV} points at {path}, which is not a file")
        return path
    for name in WEIGHT_FILES:
        for folder in search_dirs():
            if (folder / name).is_file():
                return folder / name
    names = " or ".join(list(WEIGHT_FILES)[:2])
    raise DataError(
        f"--features inception needs Inception-v3 weights on disk and none were found "
        f"(latentforge never downloads them). Put {names} (the FID weights of pytorch-fid / "
        f"torch-fidelity / torchmetrics; torchvision's inception_v3_google-0cc3c7bd.pth also "
        f"works) in {search_dirs()[0]} (set by ${CACHE_ENV}) or {search_dirs()[1]}, or set "
        f"${WEIGHTS_ENV} to the file's path; offline, use --features classifier"
    )


def read_state_dict(path: Path) -> dict[str, Tensor]:
    """Tensors of a ``.pth`` (``torch.load(weights_only=True)``) or ``.safetensors`` file."""
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any failure to read means a bad or foreign file
        raise CheckpointError(
            f"cannot read Inception weights {path} ({type(err).__name__}: {err}); the file is "
            "corrupt or not a plain state dict: download it again"
        ) from None
    if not isinstance(state, dict) or not all(isinstance(v, Tensor) for v in state.values()):
        raise CheckpointError(f"{path} does not hold a state dict of tensors")
    return {k: v for k, v in state.items() if not k.startswith("AuxLogits.")}


def load_inception_network(path: Path) -> InceptionV3Features:
    """Build the variant the file's classifier width implies and load the weights strictly."""
    state = read_state_dict(path)
    fc = state.get("fc.weight")
    widths = {classes: variant for variant, classes in NUM_CLASSES.items()}
    if fc is None or fc.ndim != 2 or fc.shape[0] not in widths:
        raise CheckpointError(
            f"{path} is not an Inception-v3 state dict (fc.weight must be 1008x2048 or 1000x2048)"
        )
    network = InceptionV3Features(widths[fc.shape[0]])
    load_state_exactly(network.net, state, f"{path} does not fit Inception-v3")
    return network.eval()


def inception_extractor(path: Path | None = None) -> FeatureExtractor:
    """``--features inception``: the weights found by :func:`find_weights` (or ``path``)."""
    path = find_weights() if path is None else Path(path)
    network = load_inception_network(path)
    return FeatureExtractor(
        "inception",
        network,
        feature_dim=FEATURE_DIM,
        cache_key=f"inception-{network.variant}-{file_sha256(path)[:12]}",
        input_shape=None,
        num_classes=None,  # ImageNet classes say nothing about the modes of the user's data
        description=f"Inception-v3 pool3 ({network.variant} weights from {path})",
    )
