"""Plots of the bias report: the sampling weights and the latent histograms, as PNG bytes."""

from __future__ import annotations

import math

import numpy as np
from torch import Tensor

from latentforge.viz.plots import figure_png, plt


def plot_weight_histogram(ratios: dict[str, np.ndarray], bins: int = 40) -> bytes:
    """Stacked histogram of log10(weight / uniform weight), one colour per group (class)."""
    fig, ax = plt.subplots(figsize=(7.2, 3.6), dpi=100)
    values = [np.log10(np.asarray(r, dtype=np.float64)) for r in ratios.values()]
    everything = np.concatenate(values)
    low, high = float(everything.min()), float(everything.max())
    edges = np.linspace(low, high if high > low else low + 1.0, bins + 1)
    ax.hist(values, bins=edges, stacked=True, label=list(ratios))
    ax.axvline(0.0, color="k", lw=1, ls="--")
    ax.set_xlabel("log10(sampling weight / uniform weight)")
    ax.set_ylabel("images")
    ax.set_title("Resampling weights (right of the dashed line: drawn more often)")
    ax.grid(alpha=0.3)
    if len(ratios) > 1:
        ax.legend(fontsize=8)
    return figure_png(fig)


def plot_latent_histograms(edges: Tensor, fractions: Tensor, max_dims: int = 16) -> bytes:
    """One bar chart of Q_i per latent dimension (the first ``max_dims``): ``edges`` (D, B+1)
    bin edges and ``fractions`` (D, B) the share of the population per bin, as a DB-VAE's
    latent histogram keeps them."""
    dims = min(max_dims, fractions.shape[0])
    cols = min(4, dims)
    rows = math.ceil(dims / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.6 * cols, 1.9 * rows), dpi=100, squeeze=False)
    for dim, ax in enumerate(axes.flat):
        if dim >= dims:
            ax.axis("off")
            continue
        dim_edges = edges[dim].numpy()
        ax.bar(dim_edges[:-1], fractions[dim].numpy(), width=np.diff(dim_edges), align="edge")
        ax.set_title(f"z{dim}", fontsize=9)
        ax.tick_params(labelsize=7)
    fig.suptitle("Latent histograms Q_i (share of the population per bin)", fontsize=10)
    return figure_png(fig)
