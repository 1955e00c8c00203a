"""What the figure scripts share: the folder the figures go to, and saving one there."""

from __future__ import annotations

from pathlib import Path

IMAGES = Path(__file__).resolve().parents[1] / "images"


def save_figure(fig, name: str) -> Path:
    """Save the matplotlib figure ``fig`` as ``docs/images/<name>`` at 110 dpi and close it;
    returns the file's path."""
    import matplotlib.pyplot as plt

    out = IMAGES / name
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
