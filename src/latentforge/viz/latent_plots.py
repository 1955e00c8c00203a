"""Plots of latent-space studies: a correlation heat map and curves against a swept option."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from latentforge.viz.plots import figure_png, plt


def plot_correlation(matrix: np.ndarray, title: str = "correlation of the encoder means") -> bytes:
    """A heat map of a ``(D, D)`` correlation matrix on the fixed scale [-1, 1]; PNG bytes."""
    d = matrix.shape[0]
    size = min(9.0, 3.0 + 0.18 * d)
    fig, ax = plt.subplots(figsize=(size + 1.0, size), dpi=100)
    image = ax.imshow(matrix, cmap="RdBu_r", vmin=-1.0, vmax=1.0, interpolation="nearest")
    ticks = np.arange(d) if d <= 32 else np.arange(0, d, max(1, d // 16))
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.tick_params(labelsize=7)
    ax.set_xlabel("latent dimension")
    ax.set_ylabel("latent dimension")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return figure_png(fig)


def plot_sweep(
    x: Sequence[float],
    panels: dict[str, Sequence[float | None]],
    x_label: str,
    log_x: bool = False,
) -> bytes:
    """One panel per measured quantity against the swept values; PNG bytes."""
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.2), dpi=100)
    for ax, (name, values) in zip(np.atleast_1d(axes), panels.items()):
        points = [(a, b) for a, b in zip(x, values) if b is not None]
        if points:
            ax.plot(*zip(*points), marker="o")
        if log_x:
            ax.set_xscale("log", base=2)
            ax.set_xticks(list(x))
            ax.set_xticklabels([str(v) for v in x])
        ax.set_xlabel(x_label)
        ax.set_title(name, fontsize=10)
        ax.grid(alpha=0.3)
    return figure_png(fig)
