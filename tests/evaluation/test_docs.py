"""The evaluation guide lists every evaluation metric with exactly the numbers it returns."""

from __future__ import annotations

import re
from pathlib import Path

from latentforge.evaluation import EVALUATION_METRICS

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guides" / "evaluation.md"


def test_guide_table_matches_the_registry() -> None:
    rows = {}
    for line in GUIDE.read_text().splitlines():
        match = re.match(r"\| `(\w+)` \| (.*?) \| .* \|$", line)
        if match and match.group(1) in EVALUATION_METRICS:
            rows[match.group(1)] = set(re.findall(r"`(\w+)`", match.group(2)))
    assert set(rows) == set(EVALUATION_METRICS.names())
    for name, documented in rows.items():
        assert documented == set(EVALUATION_METRICS.get(name).outputs), name
