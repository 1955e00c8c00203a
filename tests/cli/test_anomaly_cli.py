import csv
import json

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from latentforge.cli.main import main
from latentforge.training.run import RunConfig

from .conftest import train_tiny


def _fit(run, *extra):
    return main(["anomaly", "fit", str(run), "--device", "cpu", *extra])


def _score(run, out, *extra):
    return main(["anomaly", "score", str(run), "--device", "cpu", "--out", str(out), *extra])


def test_classes_option_trains_on_one_class(one_class_run):
    data = RunConfig.read(one_class_run).data
    assert data.classes == (0,)
    bundle = data.load(seed=0)
    assert set(bundle.train.labels.tolist()) == {0} and set(bundle.val.labels.tolist()) == {0}
    assert set(bundle.test.labels.tolist()) == {0, 1, 2}


def test_score_before_fit_fails_with_exit_2(tmp_path, toy_npz, capsys):
    run = train_tiny(tmp_path / "fresh", "ae", "--data", str(toy_npz), "--max-steps", "1")
    assert _score(run, tmp_path / "out") == 2
    assert "anomaly fit" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_fit_then_score_with_class_labels(one_class_run, toy_npz, tmp_path, capsys):
    assert _fit(one_class_run, "--percentile", "90") == 0
    saved = json.loads((one_class_run / "anomaly.json").read_text())
    assert saved["score"] == "recon" and saved["rule"] == {"kind": "percentile", "value": 90.0}
    bundle = RunConfig.read(one_class_run).data.load(seed=0)  # class 0 (54 images), split
    assert saved["train_stats"]["count"] == len(bundle.train) == 54 - len(bundle.val)
    assert saved["threshold"] == pytest.approx(saved["train_stats"]["p90"])

    out = tmp_path / "scores"
    assert _score(one_class_run, out, "--normal-classes", "0") == 0
    rows = list(csv.DictReader((out / "scores.csv").open()))
    labels = np.load(toy_npz)["y_test"]
    assert len(rows) == len(labels) == 60
    scores = np.array([float(r["score"]) for r in rows])
    anomaly = np.array([int(r["anomaly"]) for r in rows])
    np.testing.assert_array_equal(anomaly, labels != 0)
    flagged = np.array([int(r["flagged"]) for r in rows])
    np.testing.assert_array_equal(flagged, scores > saved["threshold"])
    record = json.loads((out / "scores.json").read_text())
    assert record["summary"]["auroc"] == pytest.approx(roc_auc_score(anomaly, scores))
    assert record["summary"]["auprc"] == pytest.approx(average_precision_score(anomaly, scores))
    assert record["summary"]["flagged"] == flagged.sum()
    np.testing.assert_allclose(record["scores"], scores)
    assert json.loads(capsys.readouterr().out.splitlines()[-2])["auroc"] == pytest.approx(
        record["summary"]["auroc"]
    )


def test_labels_file_and_its_errors(one_class_run, toy_npz, tmp_path, capsys):
    assert _fit(one_class_run, "--std-k", "2") == 0
    labels = (np.load(toy_npz)["y_test"] == 1).astype(int)
    text = tmp_path / "labels.txt"
    text.write_text("\n".join(map(str, labels)) + "\n")
    assert _score(one_class_run, tmp_path / "a", "--labels", str(text)) == 0
    record = json.loads((tmp_path / "a" / "scores.json").read_text())
    assert record["anomaly"] == labels.tolist()
    np.save(tmp_path / "labels.npy", labels)
    assert _score(one_class_run, tmp_path / "b", "--labels", str(tmp_path / "labels.npy")) == 0
    assert json.loads((tmp_path / "b" / "scores.json").read_text())["summary"] == record["summary"]

    capsys.readouterr()
    assert _score(one_class_run, tmp_path / "c", "--labels", str(tmp_path / "missing.txt")) == 2
    assert "no such file" in capsys.readouterr().err
    text.write_text("0\n1\n")
    assert _score(one_class_run, tmp_path / "c", "--labels", str(text)) == 2
    assert "needs 60 values" in capsys.readouterr().err


def test_elbo_needs_a_vae_and_bad_options_exit_2(one_class_run, capsys):
    assert _fit(one_class_run, "--score", "elbo") == 2
    assert "use --score recon" in capsys.readouterr().err
    assert _fit(one_class_run, "--percentile", "120") == 2
    with pytest.raises(SystemExit) as info:
        _fit(one_class_run, "--percentile", "90", "--std-k", "3")
    assert info.value.code == 2


def test_vae_elbo_fit_and_score(tmp_path, toy_npz):
    run = train_tiny(tmp_path / "vae", "vae", "--data", str(toy_npz), "--max-steps", "2")
    assert _fit(run, "--score", "elbo", "--elbo-samples", "2") == 0
    assert json.loads((run / "anomaly.json").read_text())["samples"] == 2
    assert _score(run, tmp_path / "out", "--normal-classes", "0,1") == 0
    summary = json.loads((tmp_path / "out" / "scores.json").read_text())["summary"]
    assert summary["score"] == "elbo" and summary["anomalous"] == 20
