"""``latentforge evaluate`` and ``latentforge features``: results, error exits, fitted
extractors with and without labels."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from latentforge.cli.main import main
from latentforge.evaluation.feature_extractors import load_feature_extractor
from latentforge.evaluation.fitted_features import read_manifest

QUICK = ["-n", "64", "--batch-size", "32", "--nll-k", "4", "--nll-images", "16", "--no-progress"]


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    return err


def test_evaluate_prints_a_table_and_writes_json(tiny_runs, latentforge_home, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(tiny_runs["vae"], run)
    out = tmp_path / "out.json"
    code = main(["evaluate", str(run), "--metrics", "fid,nll", "--json", str(out), *QUICK])
    printed = capsys.readouterr().out
    assert code == 0
    assert "fid" in printed and "nll_bpd" in printed and "features: classifier" in printed
    written = json.loads(out.read_text())
    assert set(written["metrics"]) == {"fid", "nelbo_nats", "nll_nats", "nelbo_bpd", "nll_bpd"}
    assert json.loads((run / "evaluation.json").read_text())["metrics"] == written["metrics"]


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--metrics", "fid,sharpness"], "unknown metric 'sharpness'"),
        (["--features", "nope"], "unknown feature extractor 'nope'"),
        (["--features", "inception"], "pt_inception-2015-12-05-6726825d.pth"),
    ],
)
def test_bad_options_exit_2_with_one_line(
    tiny_runs, latentforge_home, monkeypatch, tmp_path, capsys, arguments, expected
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("LATENTFORGE_INCEPTION_WEIGHTS", raising=False)
    with pytest.raises(SystemExit) as exit_info:  # argparse-level errors exit directly
        code = main(["evaluate", str(tiny_runs["ae"]), *arguments, *QUICK])
        raise SystemExit(code)
    assert exit_info.value.code == 2
    assert expected in one_line_error(capsys)


def test_missing_run_exits_2(tmp_path, capsys) -> None:
    assert main(["evaluate", str(tmp_path / "missing"), *QUICK]) == 2
    assert "does not exist" in one_line_error(capsys)


def test_features_fit_with_labels_gives_a_classifier(
    tiny_npz, tiny_runs, latentforge_home, tmp_path, capsys
) -> None:
    fit = ["features", "fit", "--data", str(tiny_npz), "--epochs", "1", "--batch-size", "32"]
    assert main([*fit, "--out", "tiny-clf", "--no-progress"]) == 0
    assert "classifier" in capsys.readouterr().out
    manifest = read_manifest("tiny-clf")
    assert manifest["kind"] == "classifier" and manifest["num_classes"] == 10
    assert (latentforge_home / "features" / "tiny-clf" / "classifier.safetensors").is_file()
    extractor = load_feature_extractor("tiny-clf")
    features, logits = extractor.features_and_logits(torch.rand(5, 1, 28, 28))
    assert features.shape == (5, 128) and logits.shape == (5, 10)
    assert main([*fit, "--out", "tiny-clf", "--no-progress"]) == 2  # exists, no --overwrite
    assert "--overwrite" in one_line_error(capsys)
    assert main(["features", "list"]) == 0
    assert "tiny-clf: classifier" in capsys.readouterr().out
    run = tmp_path / "run"
    shutil.copytree(tiny_runs["ae"], run)
    command = ["evaluate", str(run), "--metrics", "fid,modes", "--features", "tiny-clf", *QUICK]
    assert main(command) == 0
    assert "mode_coverage" in capsys.readouterr().out


def test_features_fit_without_labels_gives_an_encoder(tmp_path, latentforge_home, capsys) -> None:
    images = np.random.default_rng(0).integers(0, 256, (96, 16, 16), dtype=np.uint8)
    np.savez(tmp_path / "blobs.npz", x=images)
    command = ["features", "fit", "--data", str(tmp_path / "blobs.npz"), "--epochs", "1"]
    assert main([*command, "--batch-size", "32", "--latent-dim", "3", "--no-progress"]) == 0
    assert "autoencoder" in capsys.readouterr().out
    manifest = read_manifest("blobs")  # the default name comes from the file name
    assert manifest["kind"] == "autoencoder" and manifest["image_shape"] == [1, 16, 16]
    extractor = load_feature_extractor("fitted:blobs")
    assert extractor(torch.rand(4, 1, 16, 16)).shape == (4, 3) and not extractor.is_classifier
    assert not (latentforge_home / "features" / "blobs" / "training-run").exists()
    with pytest.raises(Exception, match="12x12"):
        extractor(torch.rand(4, 1, 12, 12))
