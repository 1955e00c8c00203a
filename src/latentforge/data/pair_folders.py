"""Image pairs from folders of image files (the layout is described in ``data/pairs.py``).

- ``--data paired:DIR_A,DIR_B``: two folders whose files match by name: ``DIR_A/x/1.png``
  pairs with ``DIR_B/x/1.jpg`` (relative path without the extension); every file needs its
  partner.
- ``--data side-by-side:DIR``: each file holds a pair, the source on the left half and the
  target on the right (the pix2pix datasets' format); widths must be even.
- ``--data unpaired:DIR_A,DIR_B``: two independent collections (CycleGAN).

Pairs are decoded into memory (no streaming from disk) and have a train split only; ``--image-
size`` resizes each image (each half), ``--channels`` converts both domains.
"""

from __future__ import annotations

from pathlib import Path

import torch

from latentforge.data.folder import common_size, decode_all, load_folder
from latentforge.data.image_files import (
    IMAGE_SUFFIXES,
    ImageInfo,
    decode_image,
    find_image_files,
    probe_image,
    thread_map,
)
from latentforge.data.pairs import (
    PAIRED,
    UNPAIRED,
    all_images,
    check_same_size,
    common_channels,
    pair_source,
    stack_pair,
    unpaired_stack,
)
from latentforge.data.sources import DATA_SCHEMES, LoadRequest, Source
from latentforge.data.transforms import ImageTransform
from latentforge.errors import DataError


def two_folders(argument: str, scheme: str) -> tuple[Path, Path]:
    """``"DIR_A,DIR_B"`` -> two existing folders, or a :class:`DataError` showing the form."""
    parts = [part.strip() for part in argument.split(",")]
    if len(parts) != 2 or not all(parts):
        raise DataError(
            f"--data {scheme}:{argument} needs two folders separated by a comma: "
            f"--data {scheme}:path/to/A,path/to/B"
        )
    folders = tuple(Path(part).expanduser() for part in parts)
    for folder in folders:
        if not folder.is_dir():
            raise DataError(f"--data {scheme}: folder {folder} does not exist; check the path")
    return folders  # type: ignore[return-value]


def _image_files(folder: Path) -> list[Path]:
    files = find_image_files(folder)
    if not files:
        raise DataError(
            f"{folder} contains no image files (searched recursively for "
            f"{', '.join(sorted(IMAGE_SUFFIXES))})"
        )
    return files


def _by_name(folder: Path, files: list[Path]) -> dict[str, Path]:
    """Files keyed by their path relative to ``folder`` without the extension."""
    keyed: dict[str, Path] = {}
    for path in files:
        key = path.relative_to(folder).with_suffix("").as_posix()
        if key in keyed:
            raise DataError(
                f"{keyed[key]} and {path} have the same name apart from the extension, so "
                "which one is paired is ambiguous; remove or rename one"
            )
        keyed[key] = path
    return keyed


def _unmatched(names: list[str], folder: Path, other: Path) -> str:
    shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
    return f"{len(names)} file(s) in {folder} have no partner of the same name in {other} ({shown})"


def matched_files(folder_a: Path, folder_b: Path) -> tuple[list[Path], list[Path]]:
    """The files of both folders in matching order; every file must have a partner."""
    a = _by_name(folder_a, _image_files(folder_a))
    b = _by_name(folder_b, _image_files(folder_b))
    problems = [
        _unmatched(sorted(set(a) - set(b)), folder_a, folder_b) if set(a) - set(b) else "",
        _unmatched(sorted(set(b) - set(a)), folder_b, folder_a) if set(b) - set(a) else "",
    ]
    if any(problems):
        raise DataError(
            "; ".join(p for p in problems if p)
            + ". Paired folders need files with matching names (extensions may differ)"
        )
    names = sorted(a)
    return [a[name] for name in names], [b[name] for name in names]


def _any_colour(infos: list[ImageInfo]) -> bool:
    return any(info.colour for info in infos)


def _decode_files(
    files: list[Path], infos: list[ImageInfo], folder: Path, request: LoadRequest, colour: bool
) -> torch.Tensor:
    """``files`` as ``uint8 (N, C, H, W)``: one size (or ``--image-size``), grey or colour."""
    size = request.transform.size or common_size(folder, infos)
    channels = request.transform.channels or (3 if colour else 1)
    return decode_all(files, ImageTransform(size, channels), (channels, *size))


@DATA_SCHEMES.register("paired")
def load_paired_folders(argument: str, request: LoadRequest) -> Source:
    """``paired:DIR_A,DIR_B``: pairs of files with matching names."""
    folder_a, folder_b = two_folders(argument, "paired")
    files_a, files_b = matched_files(folder_a, folder_b)
    infos_a, infos_b = thread_map(probe_image, files_a), thread_map(probe_image, files_b)
    colour = _any_colour(infos_a + infos_b)
    images_a = _decode_files(files_a, infos_a, folder_a, request, colour)
    images_b = _decode_files(files_b, infos_b, folder_b, request, colour)
    check_same_size(images_a, images_b, f"--data paired:{argument}")
    return pair_source(
        f"{folder_a.resolve().name}->{folder_b.resolve().name}",
        PAIRED,
        stack_pair(images_a, images_b),
        extra={"source": f"paired folders {folder_a} and {folder_b}"},
    )


@DATA_SCHEMES.register("side-by-side")
def load_side_by_side(argument: str, request: LoadRequest) -> Source:
    """``side-by-side:DIR``: each image is a pair, source on the left, target on the right."""
    folder = Path(argument.strip()).expanduser()
    if not folder.is_dir():
        raise DataError(f"--data side-by-side: folder {folder} does not exist; check the path")
    files = _image_files(folder)
    infos = thread_map(probe_image, files)
    odd = next((info for info in infos if info.width % 2), None)
    if odd is not None:
        raise DataError(
            f"{odd.path} is {odd.width} pixels wide; a side-by-side pair needs an even width "
            "(the source on the left half, the target on the right)"
        )
    if request.transform.size is None:
        common_size(folder, infos)  # one size for all, or an error naming --image-size
    native = ImageTransform(None, request.transform.channels or (3 if _any_colour(infos) else 1))
    resize = ImageTransform(request.transform.size)

    def halves(path: Path) -> torch.Tensor:
        image = decode_image(path, native)  # (C, H, 2W)
        width = image.shape[-1] // 2
        return resize(torch.stack([image[..., :width], image[..., width:]]))  # (2, C, H', W')

    pairs = torch.stack(thread_map(halves, files))  # (N, 2, C, H', W')
    return pair_source(
        folder.resolve().name,
        PAIRED,
        stack_pair(pairs[:, 0], pairs[:, 1]),
        extra={"source": f"side-by-side pairs in {folder}"},
    )


@DATA_SCHEMES.register("unpaired")
def load_unpaired_folders(argument: str, request: LoadRequest) -> Source:
    """``unpaired:DIR_A,DIR_B``: two independent collections of images."""
    folder_a, folder_b = two_folders(argument, "unpaired")
    images_a, _ = all_images(load_folder(folder_a, request).train, request.transform)
    images_b, _ = all_images(load_folder(folder_b, request).train, request.transform)
    images_a, images_b = common_channels(request.transform, images_a, images_b)
    check_same_size(images_a, images_b, f"--data unpaired:{argument}")
    return pair_source(
        f"{folder_a.resolve().name}<->{folder_b.resolve().name}",
        UNPAIRED,
        unpaired_stack(images_a, images_b),
        extra={
            "source": f"unpaired folders {folder_a} and {folder_b}",
            "count_a": str(len(images_a)),
            "count_b": str(len(images_b)),
        },
    )
