"""The run directory's rules, one by one: what counts as a run, which ``--out`` is accepted,
and that every temporary name a writer uses is one the cleanup recognises."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from latentforge.errors import ConfigError, RunLocked
from latentforge.models.base import build_model
from latentforge.training import checkpoint as checkpoint_module
from latentforge.training.checkpoint import save_checkpoint
from latentforge.training.run_dir import (
    RunLock,
    check_out_dir,
    is_run,
    remove_stale_temporaries,
)
from latentforge.utils.files import atomic_write, remove_dir
from tests.training.fault_harness import dead_pid


def test_a_config_json_of_another_tool_does_not_make_a_run(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"learning_rate": 0.1}))
    (tmp_path / "checkpoints").mkdir()  # another tool's checkpoints folder
    assert not is_run(tmp_path)
    with pytest.raises(ConfigError, match="not a latentforge run"):
        check_out_dir(tmp_path, overwrite=True)
    run_config = {"model_type": "vae", "model": {}, "data": {}, "train": {}}
    (tmp_path / "config.json").write_text(json.dumps(run_config))
    assert is_run(tmp_path)


def test_checkpoints_alone_make_a_run(tmp_path):
    (tmp_path / "checkpoints" / "step-00000002").mkdir(parents=True)
    assert not is_run(tmp_path)  # a folder without state.json is nobody's checkpoint
    (tmp_path / "checkpoints" / "step-00000002" / "state.json").write_text("{}")
    assert is_run(tmp_path)


def test_a_lock_is_exclusive_and_names_its_holder(tmp_path):
    first = RunLock(tmp_path)
    with pytest.raises(RunLocked, match=f"process {os.getpid()}"):
        RunLock(tmp_path)  # a second open file description conflicts even in one process
    first.release()
    RunLock(tmp_path).release()


def test_every_temporary_a_writer_makes_is_recognised_by_the_cleanup(tmp_path, monkeypatch):
    """Writers and the cleanup share a naming rule; catch each writer's temporary in the act
    and check the cleanup would remove it once its process is gone."""
    seen: list[Path] = []

    def record(folder: Path) -> None:
        seen.extend(p for p in folder.iterdir() if p.name.startswith("."))

    atomic_write(tmp_path / "a.json", lambda tmp: record(tmp_path))
    model = build_model("vae", {"latent_dim": 2, "hidden_channels": (4,), "image_size": (8, 8)})
    real_replace = checkpoint_module.replace_dir

    def spy(staged, final):
        record(Path(final).parent)
        return real_replace(staged, final)

    monkeypatch.setattr(checkpoint_module, "replace_dir", spy)
    save_checkpoint(tmp_path, model, 1, {"x": torch.ones(1)})
    old = tmp_path / "old"
    old.mkdir()
    real_os_replace = os.replace

    def spy_replace(src, dst):
        real_os_replace(src, dst)
        if Path(src) == old:
            record(tmp_path)

    monkeypatch.setattr(os, "replace", spy_replace)
    remove_dir(old)
    monkeypatch.undo()
    names = {p.name for p in seen}
    assert any(n.startswith(".a.json.") for n in names)  # atomic file write
    assert any(n.startswith(".tmp-step-00000001-") for n in names)  # checkpoint folder
    assert any(n.startswith(".old-old-") for n in names)  # a folder set aside
    # the same names, as a dead process would have left them
    dead = dead_pid()
    for name in names:
        stale = tmp_path / "left" / name.replace(str(os.getpid()), str(dead))
        stale.parent.mkdir(exist_ok=True)
        stale.write_bytes(b"")
    removed = remove_stale_temporaries(tmp_path / "left")
    assert sorted(p.name for p in removed) == sorted(
        n.replace(str(os.getpid()), str(dead)) for n in names
    )
    assert list((tmp_path / "left").iterdir()) == []
