"""``latentforge anomaly fit | score``: anomaly detection with a trained ae or vae.

    latentforge anomaly fit RUN [--data NORMAL] [--score SCORE] [--percentile 95 | --std-k 3]
    latentforge anomaly score RUN [--data TEST] [--normal-classes 3 | --labels FILE] [--out DIR]

``fit`` scores normal images (default: the run's own training split, with its ``--classes``)
and saves the score kind, the threshold and the training statistics in ``RUN/anomaly.json``.
``score`` scores other images (default: the test split of the run's dataset), flags those above
the threshold and writes ``DIR/scores.csv`` and ``DIR/scores.json``. Labels say which images
are anomalies: ``--normal-classes 3`` marks every image whose class is not 3 as an anomaly;
``--labels FILE`` (``.npy``, or text with one number per line) gives 1 (anomaly) or 0 (normal)
per image, in order. With labels, AUROC and AUPRC are reported too.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path

import numpy as np

from latentforge.apps.anomaly import (
    SCORES,
    AnomalyDetector,
    ThresholdRule,
    detection_metrics,
    fit_detector,
    load_detector,
    save_detector,
)
from latentforge.cli.options import _int_tuple, add_batch_size_option, add_device_option
from latentforge.cli.run_data import add_data_arguments, load_split
from latentforge.cli.run_loading import load_run_model
from latentforge.data.base import ImageSet
from latentforge.errors import ConfigError, DataError
from latentforge.utils.files import atomic_write_json, atomic_write_text


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "anomaly",
        help="anomaly detection: fit a threshold, score images",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    actions.required = True

    fit = actions.add_parser("fit", help="fit the threshold on normal images")
    _common(fit, "train", "normal images (default: the run's own data and --classes)")
    fit.add_argument(
        "--score",
        default="recon",
        choices=SCORES.names(),
        help=f"how an image is scored: {', '.join(SCORES.names())} (default: recon)",
    )
    rule = fit.add_mutually_exclusive_group()
    rule.add_argument("--percentile", type=float, help="threshold = this percentile (default 95)")
    rule.add_argument(
        "--std-k", type=float, metavar="K", help="threshold = mean + K std of the scores"
    )
    fit.add_argument(
        "--elbo-samples", type=int, default=4, metavar="N", help="z draws per image for elbo"
    )
    fit.add_argument("--seed", type=int, default=0, help="seed of the elbo draws (default: 0)")
    fit.set_defaults(handler=run_fit)

    score = actions.add_parser("score", help="score images and flag anomalies")
    _common(score, "test", "images to score (default: the run's dataset)")
    labels = score.add_mutually_exclusive_group()
    labels.add_argument(
        "--normal-classes", type=_int_tuple, metavar="N,N,...", help="classes that are normal"
    )
    labels.add_argument("--labels", type=Path, help="file of 0 (normal) / 1 (anomaly) per image")
    score.add_argument("--out", type=Path, default=Path("anomaly-scores"), help="output folder")
    score.set_defaults(handler=run_score)


def _common(parser: argparse.ArgumentParser, split: str, data_help: str) -> None:
    parser.add_argument("run", type=Path, help="run directory or saved model folder")
    add_data_arguments(parser, split, data_help)
    add_batch_size_option(parser, 256)
    add_device_option(parser)


def run_fit(args: argparse.Namespace) -> int:
    rule = (
        ThresholdRule("std", args.std_k)
        if args.std_k is not None
        else ThresholdRule("percentile", 95.0 if args.percentile is None else args.percentile)
    )
    if args.elbo_samples < 1:
        raise ConfigError(f"--elbo-samples must be >= 1, got {args.elbo_samples}")
    model, _ = load_run_model(args)
    normal = load_split(args, model, inherit_classes=True)
    detector = fit_detector(
        model,
        normal,
        args.score,
        rule,
        samples=args.elbo_samples,
        seed=args.seed,
        batch_size=args.batch_size,
    )
    path = save_detector(detector, args.run)
    print(
        f"{args.score} threshold {detector.threshold:.6g} ({rule.describe()}, "
        f"{len(normal)} images) saved to {path}"
    )
    return 0


def _labels_from_file(path: Path, count: int) -> np.ndarray:
    if not path.is_file():
        raise DataError(f"--labels {path}: no such file")
    try:
        if path.suffix.lower() == ".npy":
            values = np.load(path, allow_pickle=False)
        else:
            values = np.loadtxt(path, delimiter=",", ndmin=1)
    except (OSError, ValueError) as err:
        raise DataError(
            f"--labels {path}: cannot read it ({err}); give one 0 or 1 per line"
        ) from None
    values = np.asarray(values).reshape(-1)
    if values.size != count or not np.isin(values, (0, 1)).all():
        raise DataError(
            f"--labels {path}: needs {count} values, each 0 (normal) or 1 (anomaly); "
            f"found {values.size} values"
            + ("" if np.isin(values, (0, 1)).all() else " with others than 0 and 1")
        )
    return values.astype(bool)


def anomaly_labels(args: argparse.Namespace, images: ImageSet) -> np.ndarray | None:
    """True for anomalies, from ``--normal-classes`` or ``--labels`` (None without either)."""
    if args.labels is not None:
        return _labels_from_file(args.labels, len(images))
    if args.normal_classes is None:
        return None
    if images.labels is None:
        raise DataError("--normal-classes needs labelled data; this data has no labels")
    return ~np.isin(images.labels.numpy(), np.asarray(args.normal_classes))


def _csv(scores: np.ndarray, flags: np.ndarray, is_anomaly: np.ndarray | None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["index", "score", "flagged"] + ([] if is_anomaly is None else ["anomaly"]))
    for i, (score, flag) in enumerate(zip(scores.tolist(), flags.tolist())):
        row = [i, repr(score), int(flag)]
        writer.writerow(row if is_anomaly is None else [*row, int(is_anomaly[i])])
    return out.getvalue()


def write_scores(
    out: Path,
    detector: AnomalyDetector,
    scores: np.ndarray,
    is_anomaly: np.ndarray | None,
    summary: dict,
) -> None:
    """``out/scores.csv`` (one row per image) and ``out/scores.json`` (summary and arrays)."""
    flags = detector.flags(scores)
    atomic_write_text(out / "scores.csv", _csv(scores, flags, is_anomaly))
    record = {
        "detector": detector.to_dict(),
        "summary": summary,
        "scores": scores.tolist(),
        "flagged": flags.astype(int).tolist(),
    }
    if is_anomaly is not None:
        record["anomaly"] = is_anomaly.astype(int).tolist()
    atomic_write_json(out / "scores.json", record)


def run_score(args: argparse.Namespace) -> int:
    detector = load_detector(args.run)
    model, _ = load_run_model(args)
    images = load_split(args, model)
    is_anomaly = anomaly_labels(args, images)
    scores = detector.scores(model, images, args.batch_size)
    flags = detector.flags(scores)
    summary: dict = {
        "images": len(images),
        "flagged": int(flags.sum()),
        "score": detector.score,
        "threshold": detector.threshold,
    }
    if is_anomaly is not None:
        summary.update(detection_metrics(scores, is_anomaly, flags))
    write_scores(args.out, detector, scores, is_anomaly, summary)
    print(json.dumps(summary))
    print(f"wrote {args.out / 'scores.csv'} and {args.out / 'scores.json'}")
    return 0
