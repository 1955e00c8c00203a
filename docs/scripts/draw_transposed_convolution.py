"""Draw docs/images/transposed-convolution.png: multiply, place, sum, for stride 1 and stride 2.

Run from the repository root:  PYTHONPATH=src python docs/scripts/draw_transposed_convolution.py

Every number in the figure comes from ``reference_conv_transpose2d``: the placed product of input
value ``x[i, j]`` is the transposed convolution of an input that keeps only ``x[i, j]`` (the
operation is linear), and the right-hand panel is the transposed convolution of the whole input.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from latentforge.nn.transposed_conv import reference_conv_transpose2d  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "images" / "transposed-convolution.png"
X = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
K = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
COLOURS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759"]  # one per input position
BLANK = "#f4f4f4"


def transposed(x: torch.Tensor, kernel: torch.Tensor, stride: int) -> torch.Tensor:
    """2-D wrapper around the reference op for one channel: (H, W) -> (H_out, W_out)."""
    return reference_conv_transpose2d(x[None, None], kernel[None, None], stride=stride)[0, 0]


def draw_grid(ax: Axes, values: torch.Tensor, fills: list[list[str]], title: str) -> None:
    """A grid of cells, each with its fill colour and its value written in it."""
    rows, cols = values.shape
    for r in range(rows):
        for c in range(cols):
            ax.add_patch(plt.Rectangle((c, r), 1, 1, facecolor=fills[r][c], edgecolor="black"))
            ax.text(c + 0.5, r + 0.5, f"{values[r, c]:g}", ha="center", va="center", fontsize=13)
    ax.set_xlim(-0.05, cols + 0.05)
    ax.set_ylim(rows + 0.05, -0.05)  # row 0 on top, like a matrix
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=11)


def draw_row(axes: list[Axes], stride: int) -> None:
    """Input, kernel, the four placed products, and their sum, for one stride."""
    draw_grid(axes[0], X, [[COLOURS[2 * r + c] for c in range(2)] for r in range(2)], "input x")
    draw_grid(axes[1], K, [[BLANK] * 2 for _ in range(2)], "kernel K")
    result = transposed(X, K, stride)
    overlaps = torch.zeros_like(result)
    for index, (i, j) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        only_ij = torch.zeros_like(X)
        only_ij[i, j] = X[i, j]
        footprint = transposed((only_ij != 0).float(), torch.ones_like(K), stride) > 0
        overlaps += footprint
        fills = [[COLOURS[index] if hit else BLANK for hit in row] for row in footprint.tolist()]
        title = f"{X[i, j]:g}·K at ({i * stride}, {j * stride})"
        draw_grid(axes[2 + index], transposed(only_ij, K, stride), fills, title)
        sign = "+" if index < 3 else "="
        axes[2 + index].text(1.12, 0.5, sign, transform=axes[2 + index].transAxes, fontsize=18)
    fills = [["#c9c9c9" if n > 1 else BLANK for n in row] for row in overlaps.tolist()]
    draw_grid(axes[6], result, fills, "sum (grey: overlaps)")
    axes[0].text(
        -0.5,
        0.5,
        f"stride {stride}",
        transform=axes[0].transAxes,
        fontsize=13,
        rotation=90,
        ha="center",
        va="center",
    )


def main() -> None:
    fig, axes = plt.subplots(2, 7, figsize=(15, 5.2), gridspec_kw={"wspace": 0.35})
    for row, stride in zip(axes, (1, 2), strict=True):
        draw_row(list(row), stride)
    fig.suptitle(
        "Transposed convolution: multiply each input value by the kernel, place the "
        "product at (i·stride, j·stride), sum the overlaps",
        fontsize=13,
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=110, bbox_inches="tight", metadata={"Software": None})
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
