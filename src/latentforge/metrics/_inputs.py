"""Input checks shared by the metric functions: feature matrices, label vectors, seeds."""

from __future__ import annotations

import numpy as np
import torch

from latentforge.errors import ConfigError, DataError, ShapeError

ArrayLike = np.ndarray | torch.Tensor
SeedLike = int | np.random.Generator | None


def to_numpy(x: ArrayLike, name: str) -> np.ndarray:
    """A NumPy view of ``x`` (a tensor is detached and moved to the CPU)."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    if isinstance(x, np.ndarray):
        return x
    raise ConfigError(
        f"{name} must be a numpy array or a torch tensor, got {type(x).__name__}; "
        "convert it with np.asarray(...) or torch.as_tensor(...)"
    )


def _check_matrix_shape(shape: tuple[int, ...], name: str, min_rows: int) -> None:
    if len(shape) != 2:
        raise ShapeError(
            f"{name} must be a 2-D feature matrix (N, D), got shape {shape}; "
            "flatten each sample's features first, e.g. x.reshape(len(x), -1)"
        )
    if shape[0] < min_rows:
        raise ShapeError(f"{name} needs at least {min_rows} rows, got {shape[0]}")
    if shape[1] < 1:
        raise ShapeError(f"{name} has no feature columns (shape {shape})")


def _not_finite(name: str) -> DataError:
    return DataError(f"{name} contains NaN or infinite values; check the feature extractor")


def feature_matrix(x: ArrayLike, name: str, min_rows: int = 1) -> np.ndarray:
    """``x`` as a finite float64 NumPy matrix of shape (N, D) with ``N >= min_rows``."""
    array = to_numpy(x, name)
    _check_matrix_shape(tuple(array.shape), name, min_rows)
    array = np.asarray(array, dtype=np.float64)
    if not np.isfinite(array).all():
        raise _not_finite(name)
    return array


def feature_tensor(
    x: ArrayLike,
    name: str,
    min_rows: int,
    dtype: torch.dtype,
    device: str | torch.device | None,
) -> torch.Tensor:
    """``x`` as a finite (N, D) tensor of ``dtype`` on ``device``, without a float64 detour."""
    tensor = x if isinstance(x, torch.Tensor) else torch.from_numpy(to_numpy(x, name))
    _check_matrix_shape(tuple(tensor.shape), name, min_rows)
    tensor = tensor.detach().to(device=device, dtype=dtype)
    if not torch.isfinite(tensor).all():
        raise _not_finite(name)
    return tensor


def check_same_width(a: np.ndarray | torch.Tensor, b: np.ndarray | torch.Tensor) -> None:
    """Both feature sets must come from the same extractor, so have the same width D."""
    if a.shape[1] != b.shape[1]:
        raise ShapeError(
            f"real and fake features have different widths ({a.shape[1]} vs {b.shape[1]}); "
            "extract both with the same feature extractor"
        )


def numpy_rng(seed: SeedLike) -> np.random.Generator:
    """A NumPy generator from a seed (``None`` draws fresh entropy) or an existing generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def positive_int(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}")
    return int(value)
