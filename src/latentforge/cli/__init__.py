"""``latentforge <verb> ...``: train, sample, reconstruct, info, interpolate, traverse, latents,
sweep.

Every user error prints one line naming the problem and the fix and exits with status 2.
"""

from __future__ import annotations

import sys

from latentforge.cli.main import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
