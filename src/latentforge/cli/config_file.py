"""Run configs as files: ``latentforge train --config run.toml`` reads one (TOML, or the JSON
a run writes as ``config.json``), ``--print-config`` writes one as TOML.

    model_type = "vae"

    [model]
    latent_dim = 16

    [data]
    spec = "sample"

    [train]
    epochs = 3

Sections ``model``, ``data``, ``train`` and ``evaluation`` hold the options of
``latentforge train MODEL --help`` under their field names (``latent_dim`` for
``--latent-dim``); options given on the command line override the file.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 reads TOML with the tomli backport
    import tomli as tomllib

from latentforge.errors import ConfigError
from latentforge.training.run import RunConfig


def read_run_file(path: Path) -> RunConfig:
    """The run a ``.toml`` file, or a run's ``config.json``, describes."""
    try:
        text = path.read_text()
    except OSError as err:
        raise ConfigError(f"--config {path}: cannot read it ({err.strerror})") from None
    try:
        values = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as err:
        kind = "JSON" if path.suffix == ".json" else "TOML"
        raise ConfigError(f"--config {path} is not valid {kind}: {err}") from None
    try:
        return RunConfig.from_dict(values, f"--config {path}")
    except ConfigError as err:  # a value a config rejects: say which file it came from
        text = str(err)
        raise ConfigError(text if str(path) in text else f"--config {path}: {text}") from None


def model_named_by_config(argv: list[str], model_names: list[str]) -> list[str]:
    """``train --config FILE ...`` without a model -> ``train MODEL --config FILE ...`` with
    the model the file names, so that the model's options parse; any other command as is."""
    if len(argv) < 2 or argv[0] != "train" or argv[1] in model_names:
        return argv
    for i, word in enumerate(argv):
        if word == "--config" and i + 1 < len(argv):
            path = argv[i + 1]
        elif word.startswith("--config="):
            path = word.split("=", 1)[1]
        else:
            continue
        return ["train", read_run_file(Path(path)).model_type, *argv[1:]]
    return argv


def to_toml(values: dict[str, Any]) -> str:
    """``values`` (scalars at the top, then tables of scalars and lists) as TOML. ``None``
    has no TOML form: such keys are left out, which means their default."""
    lines = [f"{key} = {_toml_value(v)}" for key, v in values.items() if _is_plain(v)]
    for key, table in values.items():
        if isinstance(table, dict):
            lines += ["", f"[{key}]"]
            lines += [f"{k} = {_toml_value(v)}" for k, v in table.items() if v is not None]
    return "\n".join(lines) + "\n"


def _is_plain(value: Any) -> bool:
    return value is not None and not isinstance(value, dict)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise ConfigError(f"no TOML form for {value!r}")
