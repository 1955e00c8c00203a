"""Command-line options generated from config dataclasses, so each model's options come
from its config and no verb repeats another's option list."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import types
import typing
from typing import Any

from latentforge.config import Config


class Parser(argparse.ArgumentParser):
    """Argument errors print one line naming the problem and exit with status 2."""

    def error(self, message: str) -> typing.NoReturn:
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def _int_tuple(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.replace("x", ",").split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None
    if not values:
        raise argparse.ArgumentTypeError("expected at least one integer")
    return values


def _size(text: str) -> tuple[int, int]:
    values = _int_tuple(text)
    if len(values) == 1:
        return (values[0], values[0])
    if len(values) != 2:
        raise argparse.ArgumentTypeError(f"expected SIZE or HEIGHT,WIDTH, got {text!r}")
    return values  # type: ignore[return-value]


def _unwrap_optional(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


# How a value of each type reads in --help (``--latent-dim N``, ``--lr FLOAT``); a config
# names other metavars for its text fields in ``option_metavar`` (``--data-dir PATH``).
METAVARS = {int: "N", float: "FLOAT", str: "NAME"}


def _argument_type(annotation: Any) -> dict[str, Any]:
    annotation = _unwrap_optional(annotation)
    if annotation is bool:
        return {"action": argparse.BooleanOptionalAction}
    if typing.get_origin(annotation) is tuple:
        args = typing.get_args(annotation)
        if len(args) == 2 and args[1] is not Ellipsis:
            return {"type": _size, "metavar": "H,W"}
        return {"type": _int_tuple, "metavar": "N,N,..."}
    if annotation in METAVARS:
        return {"type": annotation, "metavar": METAVARS[annotation]}
    raise TypeError(f"no command-line form for {annotation}")


def add_config_options(
    parser: argparse.ArgumentParser,
    config_cls: type[Config],
    *,
    skip: tuple[str, ...] = (),
    rename: dict[str, str] | None = None,
    dest_prefix: str = "",
    helps: dict[str, str] | None = None,
    metavars: dict[str, str] | None = None,
    shown_defaults: dict[str, Any] | None = None,
) -> None:
    """``--field-name`` for each field of ``config_cls`` (defaults left unset: ``None``), its
    help from the config's ``option_help`` or ``helps``, its metavar from the field's type or
    from the config's ``option_metavar`` or ``metavars``. ``shown_defaults`` (and the config's
    ``option_default``, for a None that resolves later) replace the field's default in the
    help where something else fills it in."""
    hints = typing.get_type_hints(config_cls)
    helps = {**getattr(config_cls, "option_help", {}), **(helps or {})}
    metavars = {**getattr(config_cls, "option_metavar", {}), **(metavars or {})}
    # a default the config resolves later (None in the dataclass) is shown as it resolves
    shown_defaults = {**getattr(config_cls, "option_default", {}), **(shown_defaults or {})}
    for field in dataclasses.fields(config_cls):
        if field.name in skip or not field.init:
            continue
        flag = (rename or {}).get(field.name, "--" + field.name.replace("_", "-"))
        default = (
            field.default if field.default is not dataclasses.MISSING else field.default_factory()
        )
        text = helps.get(field.name, "")
        default = (shown_defaults or {}).get(field.name, default)
        shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
        if shown is None:
            shown = "off"  # an option left unset turns its feature off (or leaves it open)
        kind = _argument_type(hints[field.name])
        if field.name in metavars:
            kind["metavar"] = metavars[field.name]
        parser.add_argument(
            flag,
            dest=dest_prefix + field.name,
            default=None,
            # a help line that states its own default keeps it
            help=text if "(default:" in text else f"{text} (default: {shown})".strip(),
            **kind,
        )


def collect(
    args: argparse.Namespace, config_cls: type[Config], dest_prefix: str = ""
) -> dict[str, Any]:
    """The options the user gave for ``config_cls`` (unset ones keep the config's defaults)."""
    values = {}
    for field in dataclasses.fields(config_cls):
        value = getattr(args, dest_prefix + field.name, None)
        if value is not None:
            values[field.name] = value
    return values


def add_device_option(parser: argparse.ArgumentParser, default: str = "auto") -> None:
    """``--device`` for a verb that runs a model."""
    parser.add_argument(
        "--device",
        default=default,
        metavar="DEVICE",
        help=f"auto, cpu, cuda, cuda:N or mps (default: {default})",
    )


def add_batch_size_option(parser: argparse.ArgumentParser, default: int) -> None:
    """``--batch-size`` for a verb that pushes images through a model in batches."""
    parser.add_argument(
        "--batch-size",
        type=int,
        default=default,
        metavar="N",
        help=f"images per forward pass; lower it when memory runs out (default: {default})",
    )
