"""Where latentforge keeps what it computes once and reuses: fitted feature extractors, real-data
feature statistics and optional third-party weights.

    $LATENTFORGE_HOME                     if set (an empty value counts as unset), else
    $XDG_CACHE_HOME/latentforge           if XDG_CACHE_HOME is set, else
    ~/.cache/latentforge

Inside it: ``features/`` (fitted extractors), ``real-features/`` (cached real-data features and
statistics) and ``weights/`` (e.g. Inception-v3 weights placed there by the user).
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "LATENTFORGE_HOME"


def cache_home() -> Path:
    """The cache root (see the module docstring for the order of the rules)."""
    return folder_from_env(CACHE_ENV)


def folder_from_env(variable: str) -> Path:
    """``$variable`` when it is set and not empty, else ``$XDG_CACHE_HOME/latentforge``, else
    ``~/.cache/latentforge``."""
    chosen = os.environ.get(variable)
    if chosen:
        return Path(chosen).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "latentforge"


def cache_dir(*parts: str) -> Path:
    """A folder under the cache root (not created here)."""
    return cache_home().joinpath(*parts)
