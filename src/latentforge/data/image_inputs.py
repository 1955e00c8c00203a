"""Images named on a command line: image files, folders of them, or ``.npz`` archives.

Each input becomes ``uint8 (C, H, W)`` images brought to one shape by an
:class:`~latentforge.data.transforms.ImageTransform`, with a name for writing results back:
a file keeps its stem (``shoe.png`` -> ``shoe``), a folder's files keep their path inside the
folder (``in/a/b.jpg`` -> ``a/b``), and the images of ``x.npz`` are ``x/00000``, ``x/00001``, ...
(the ``x`` or ``x_train`` array, or ``x_test`` when asked for). Names that repeat get ``-2``,
``-3``, ... appended.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path, PurePosixPath

import torch

from latentforge.data.image_files import IMAGE_SUFFIXES, decode_image, find_image_files
from latentforge.data.npz import read_npz
from latentforge.data.transforms import ImageTransform
from latentforge.errors import DataError


def _npz_images(path: Path, transform: ImageTransform, test: bool) -> torch.Tensor:
    source = read_npz(path)
    image_set = source.test if test else source.train
    if image_set is None:
        raise DataError(f"{path} has no x_test array; drop the test option to read x / x_train")
    images, _ = image_set.take(torch.arange(len(image_set)))
    return transform.apply_in_chunks(images)


def _unique(names: list[str]) -> list[str]:
    used: set[str] = set()
    out = []
    for name in names:
        candidate, count = name, 1
        while candidate in used:
            count += 1
            candidate = f"{name}-{count}"
        used.add(candidate)
        out.append(candidate)
    return out


def read_image_inputs(
    inputs: Sequence[str | Path],
    transform: ImageTransform,
    npz_test: bool = False,
    limit: int | None = None,
) -> tuple[torch.Tensor, list[str]]:
    """All images of ``inputs`` as ``uint8 (N, C, H, W)`` and one name per image.

    ``transform`` must fix both size and channels so that every image gets one shape.
    ``limit`` keeps the first ``limit`` images.
    """
    if transform.size is None or transform.channels is None:
        raise ValueError("read_image_inputs needs a transform with a size and a channel count")
    parts: list[torch.Tensor] = []
    names: list[str] = []
    for item in inputs:
        path = Path(item).expanduser()
        if path.is_dir():
            files = find_image_files(path)
            if not files:
                raise DataError(f"{path} contains no image files ({', '.join(IMAGE_SUFFIXES)})")
            parts.append(torch.stack([decode_image(f, transform) for f in files]))
            names += [str(PurePosixPath(*f.relative_to(path).with_suffix("").parts)) for f in files]
        elif path.is_file() and path.suffix.lower() == ".npz":
            images = _npz_images(path, transform, npz_test)
            parts.append(images)
            names += [f"{path.stem}/{i:05d}" for i in range(len(images))]
        elif path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
            parts.append(decode_image(path, transform)[None])
            names.append(path.stem)
        else:
            what = "does not exist" if not path.exists() else "is not an image, folder or .npz"
            raise DataError(
                f"input {str(item)!r} {what}; give image files, folders of images or .npz files"
            )
        if limit is not None and len(names) >= limit:
            break
    if not parts:
        raise DataError("no input images given")
    images = torch.cat(parts)
    if limit is not None:
        images, names = images[:limit], names[:limit]
    return images, _unique(names)
