"""Classical hole filling, the baselines an inpainting model must beat.

- :func:`mean_fill`: every hole pixel gets the mean of the image's known pixels (per channel).
- :func:`harmonic_fill`: the smoothest fill. The hole's values u solve Laplace's equation
  with the known pixels as boundary values (a Dirichlet problem),

      Delta u = 0 in the hole,   u = x on the known pixels,

  discretised with the 5-point Laplacian: each hole pixel equals the mean of its 4-neighbours
  that lie in the image,

      deg(p) u_p - sum_{q ~ p, q in hole} u_q = sum_{q ~ p, q known} x_q,

  a sparse symmetric positive definite system (where a hole touches the image border the
  missing neighbour drops out: a zero-flux, Neumann, edge). It is solved exactly with a
  sparse LU factorisation (``scipy.sparse.linalg.splu``), once per image for all channels.
  A linear ramp is harmonic, so a hole in a ramp is filled exactly. Diffusion-based
  inpainting of this kind is what ``cv2.inpaint``'s methods refine (Bertalmio et al. 2000,
  https://doi.org/10.1145/344779.344972).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
import scipy.sparse.linalg
import torch
from torch import Tensor

from latentforge.errors import ShapeError


def _check(images: Tensor, masks: Tensor) -> Tensor:
    if images.ndim != 4 or masks.shape != (images.shape[0], 1, *images.shape[-2:]):
        raise ShapeError(
            f"need images (N, C, H, W) and masks (N, 1, H, W); got {tuple(images.shape)} and "
            f"{tuple(masks.shape)}"
        )
    return masks > 0.5


def mean_fill(images: Tensor, masks: Tensor) -> Tensor:
    """Hole pixels (``masks`` 1) set to the mean of the image's known pixels, per channel."""
    hole = _check(images, masks).to(images.dtype)
    known = 1.0 - hole
    means = (images * known).sum((2, 3), keepdim=True) / known.sum((2, 3), keepdim=True).clamp_min(
        1
    )
    return images * known + means * hole


def _harmonic_one(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Fill ``hole`` ``(H, W)`` bool of ``image`` ``(C, H, W)`` float64 harmonically."""
    h, w = hole.shape
    index = -np.ones((h, w), dtype=np.int64)
    rows, cols = np.nonzero(hole)
    count = len(rows)
    if count == 0:
        return image
    index[rows, cols] = np.arange(count)
    degree = np.zeros(count)
    rhs = np.zeros((count, image.shape[0]))
    off_rows, off_cols = [], []
    for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        r, c = rows + dr, cols + dc
        inside = (r >= 0) & (r < h) & (c >= 0) & (c < w)
        degree += inside
        r, c, me = r[inside], c[inside], np.arange(count)[inside]
        neighbour = index[r, c]
        unknown = neighbour >= 0
        off_rows.append(me[unknown])
        off_cols.append(neighbour[unknown])
        np.add.at(rhs, me[~unknown], image[:, r[~unknown], c[~unknown]].T)
    off_r, off_c = np.concatenate(off_rows), np.concatenate(off_cols)
    matrix = scipy.sparse.csc_matrix(
        (
            np.concatenate([degree, -np.ones(len(off_r))]),
            (np.concatenate([np.arange(count), off_r]), np.concatenate([np.arange(count), off_c])),
        ),
        shape=(count, count),
    )
    if not np.isfinite(rhs).all() or (degree == 0).any():
        raise ShapeError("a hole pixel has no neighbours: images must be at least 2 pixels wide")
    solution = scipy.sparse.linalg.splu(matrix).solve(rhs)  # (count, C)
    filled = image.copy()
    filled[:, rows, cols] = solution.T
    return filled


def harmonic_fill(images: Tensor, masks: Tensor) -> Tensor:
    """The harmonic (Laplace) fill of each image's hole; known pixels are unchanged.

    A hole region with no known pixel on its boundary (the whole image) has no unique
    solution; its pixels get the image's known mean first, as in :func:`mean_fill`."""
    hole = _check(images, masks)[:, 0].cpu().numpy()
    start = mean_fill(images, masks).detach().cpu().double().numpy()
    filled = []
    for image, region in zip(start, hole):
        if region.all():
            filled.append(image)
            continue
        filled.append(_harmonic_one(image, region))
    out = torch.from_numpy(np.stack(filled)).to(images.device, images.dtype)
    return out
