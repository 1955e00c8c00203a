"""Rows of several image groups in turn (translation grids: inputs, outputs, targets)."""

from __future__ import annotations

import pytest
import torch

from latentforge.errors import ShapeError
from latentforge.viz.grid import interleave_groups


def test_rows_of_each_group_alternate() -> None:
    groups = [torch.full((6, 1, 2, 2), float(g)) + torch.arange(6).view(6, 1, 1, 1) / 10
              for g in range(3)]  # fmt: skip
    out = interleave_groups(groups, per_row=3)
    ids = [round(v, 1) for v in out[:, 0, 0, 0].tolist()]
    assert ids == [0.0, 0.1, 0.2, 1.0, 1.1, 1.2, 2.0, 2.1, 2.2,
                   0.3, 0.4, 0.5, 1.3, 1.4, 1.5, 2.3, 2.4, 2.5]  # fmt: skip
    with pytest.raises(ShapeError):
        interleave_groups([groups[0], groups[1][:5]])
