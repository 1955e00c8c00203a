"""Fixtures of the explorer's tests: tiny runs of every model family and clients over them."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from latentforge.explorer.api import create_app
from latentforge.explorer.server import load_runs
from tests.explorer.runs import TINY_RUNS, train_explorer_run

with warnings.catch_warnings():  # starlette's test client warns about its httpx transport
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="session")
def explorer_runs(tmp_path_factory, tiny_npz) -> dict[str, Path]:
    """One tiny trained run per model type (read-only: copy a run to change it)."""
    root = tmp_path_factory.mktemp("explorer-runs")
    return {kind: train_explorer_run(root, kind, tiny_npz) for kind in TINY_RUNS}


def client_for(*paths: Path, data: str | None = None) -> TestClient:
    """A test client of an explorer serving ``paths`` (ids r0, r1, ...)."""
    return TestClient(create_app(load_runs(list(paths), data, None, "cpu")))


@pytest.fixture(scope="session")
def all_client(explorer_runs) -> TestClient:
    """An explorer serving every tiny run; ``r{i}`` is the i-th of ``TINY_RUNS``."""
    return client_for(*explorer_runs.values())


def run_id(kind: str) -> str:
    return f"r{list(TINY_RUNS).index(kind)}"
