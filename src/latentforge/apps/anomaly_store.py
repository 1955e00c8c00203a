"""A fitted anomaly detector lives next to its model: ``RUN/anomaly.json``.

The file (JSON, written atomically) holds the score kind, the threshold rule and value, the
statistics of the training scores, and the identity of the weights it was fitted on (the
checkpoint's name and the sha256 of its weights). Loading it checks that identity, so a
threshold is never applied to a model that has since been trained further or replaced.
"""

from __future__ import annotations

from pathlib import Path

from latentforge.apps.anomaly import AnomalyDetector
from latentforge.errors import CheckpointError, ConfigError
from latentforge.models.base import CONFIG_NAME
from latentforge.training.checkpoint import resolve_model_dir
from latentforge.utils.files import atomic_write_json, read_json

DETECTOR_FILE = "anomaly.json"
FORMAT = "latentforge-anomaly-1"


def detector_path(run: str | Path) -> Path:
    """Where the detector of a run directory (or saved model folder) is kept."""
    return Path(run) / DETECTOR_FILE


def model_identity(run: str | Path) -> dict[str, str]:
    """The checkpoint a run's inference model comes from and the sha256 of its weights."""
    model_dir = resolve_model_dir(run)
    meta = read_json(model_dir / CONFIG_NAME, "model config")
    return {"checkpoint": model_dir.name, "weights_sha256": str(meta.get("weights_sha256", ""))}


def save_detector(detector: AnomalyDetector, run: str | Path) -> Path:
    """Write ``RUN/anomaly.json`` for the run's current model; returns its path."""
    detector.model = model_identity(run)
    return atomic_write_json(detector_path(run), {"format": FORMAT, **detector.to_dict()})


def load_detector(run: str | Path) -> AnomalyDetector:
    """The detector fitted for ``run``, checked against the run's current weights."""
    path = detector_path(run)
    if not path.is_file():
        raise CheckpointError(
            f"{run} has no fitted anomaly detector ({path} is missing); fit one first with "
            f"`latentforge anomaly fit {run} --data NORMAL`"
        )
    values = read_json(path, "anomaly detector")
    if not isinstance(values, dict) or values.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a latentforge anomaly detector ({FORMAT})")
    try:
        detector = AnomalyDetector.from_dict(
            {k: v for k, v in values.items() if k != "format"}, str(path)
        )
    except ConfigError as err:
        raise CheckpointError(str(err)) from None
    current = model_identity(run)
    if detector.model.get("weights_sha256") != current["weights_sha256"]:
        raise CheckpointError(
            f"{path} was fitted on checkpoint {detector.model.get('checkpoint')!r}, but the "
            f"model of {run} is now {current['checkpoint']!r} with other weights; refit with "
            f"`latentforge anomaly fit {run}`"
        )
    return detector
