"""Evaluate a run directory (or a saved model): ``evaluate_run(RUN, EvaluationConfig(...))``.

The real data default to the run's own data, at the model's image size and channel count, with
the run's validation split (same seed, same fraction). The split defaults to ``test`` when the
data have one, else ``val``, else ``train``. In a run directory the result is also written to
``RUN/evaluation.json`` and shown in ``RUN/report.html``.
"""

from __future__ import annotations

from pathlib import Path

from latentforge.data.base import DataBundle
from latentforge.evaluation.metrics import EvaluationConfig
from latentforge.evaluation.results import EVALUATION_FILE, EvaluationResult
from latentforge.evaluation.runner import Evaluator
from latentforge.models.base import GenerativeModel
from latentforge.training.checkpoint import CHECKPOINTS, load_model, resolve_model_dir
from latentforge.training.distributed import resolve_device
from latentforge.training.run import RUN_CONFIG, DataConfig, RunConfig
from latentforge.viz.report import write_report


def default_split(data: DataBundle) -> str:
    for name in ("test", "val", "train"):
        if getattr(data, name) is not None and len(getattr(data, name)):
            return name
    return "train"


def is_run_dir(path: Path) -> bool:
    """Whether ``path`` is a run directory (its config and checkpoints), not a saved model."""
    return (path / RUN_CONFIG).is_file() and (path / CHECKPOINTS).is_dir()


def saved_data_config(path: str | Path) -> DataConfig:
    """The data options a run was trained with (the defaults for a bare saved model)."""
    path = Path(path)
    return RunConfig.read(path).data if is_run_dir(path) else DataConfig()


def model_data_config(
    path: str | Path,
    model: GenerativeModel,
    data: str | None = None,
    data_dir: str | None = None,
    *,
    val_fraction: float | None = None,
    classes: tuple[int, ...] | None = None,
) -> DataConfig:
    """The data a run was trained on (or ``data``), at the model's image size and channels,
    with the run's validation fraction (or ``val_fraction``) and, where given, only the
    labels ``classes``; load it with the run's seed (``run_seed``)."""
    saved = saved_data_config(path)
    return DataConfig(
        spec=data or saved.spec,
        data_dir=data_dir or saved.data_dir,
        image_size=tuple(model.config.image_size),
        channels=model.config.in_channels,
        val_fraction=saved.val_fraction if val_fraction is None else val_fraction,
        download=saved.download,
        classes=classes,
    )


def run_seed(path: str | Path) -> int:
    """The seed a run was trained with (it fixes the validation split); 0 for a saved model."""
    path = Path(path)
    return RunConfig.read(path).train.seed if is_run_dir(path) else 0


def evaluate_run(
    path: str | Path,
    config: EvaluationConfig,
    *,
    data: str | None = None,
    data_dir: str | None = None,
    split: str | None = None,
    device: str = "auto",
    progress: bool = True,
    write: bool = True,
) -> EvaluationResult:
    """Evaluate the newest checkpoint of a run (or a saved model folder)."""
    path = Path(path)
    model_dir = resolve_model_dir(path)
    torch_device = resolve_device(device)
    model = load_model(path, torch_device)
    run = RunConfig.read(path) if is_run_dir(path) else None
    data_config = model_data_config(path, model, data, data_dir)
    bundle = data_config.load(seed=run.train.seed if run is not None else 0)
    split = split or default_split(bundle)
    evaluator = Evaluator(
        bundle.split(split),
        config,
        dataset=bundle.name,
        split=split,
        device=torch_device,
        progress=progress,
    )
    result = evaluator.evaluate(model)
    result.info.update(run=str(path), checkpoint=str(model_dir), data=data_config.spec)
    if write and run is not None:
        result.write_json(path / EVALUATION_FILE)
        write_report(path)
    return result
