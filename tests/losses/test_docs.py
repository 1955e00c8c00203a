"""The concepts page has a section for each registered loss and none for a loss that is gone."""

from __future__ import annotations

import re
from pathlib import Path

from latentforge.losses import ADVERSARIAL_LOSSES, RECONSTRUCTION_LOSSES

PAGE = Path(__file__).resolve().parents[2] / "docs" / "concepts" / "losses.md"


def test_section_headings_name_exactly_the_registered_losses() -> None:
    headings = [
        line for line in PAGE.read_text(encoding="utf-8").splitlines() if line.startswith("### ")
    ]
    documented = {name for line in headings for name in re.findall(r"`([^`]+)`", line)}
    assert documented == {*RECONSTRUCTION_LOSSES, *ADVERSARIAL_LOSSES}
