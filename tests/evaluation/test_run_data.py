"""The data a run was trained on, as ``evaluate``, the explorer and the CLI verbs read it."""

from __future__ import annotations

from latentforge.evaluation.run import (
    is_run_dir,
    model_data_config,
    run_seed,
    saved_data_config,
)
from latentforge.training.checkpoint import load_model
from latentforge.training.run import DataConfig


def test_a_run_gives_its_own_data_options(tiny_runs, tiny_npz) -> None:
    run = tiny_runs["ae"]
    assert is_run_dir(run)
    saved = saved_data_config(run)
    assert (saved.spec, saved.val_fraction) == (str(tiny_npz), 0.25)
    config = model_data_config(run, load_model(run))
    assert (config.spec, config.val_fraction, config.classes) == (str(tiny_npz), 0.25, None)
    assert (config.image_size, config.channels) == ((28, 28), 1)


def test_options_given_replace_the_runs(tiny_runs) -> None:
    run = tiny_runs["ae"]
    config = model_data_config(
        run, load_model(run), "sample", "elsewhere", val_fraction=0.0, classes=(2, 1)
    )
    assert (config.spec, config.data_dir, config.val_fraction) == ("sample", "elsewhere", 0.0)
    assert config.classes == (2, 1)


def test_a_saved_model_folder_has_the_default_options(tiny_runs, tmp_path) -> None:
    load_model(tiny_runs["ae"]).save_pretrained(tmp_path / "saved")
    assert not is_run_dir(tmp_path / "saved")
    assert saved_data_config(tmp_path / "saved") == DataConfig()
    assert run_seed(tmp_path / "saved") == 0
