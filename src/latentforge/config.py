"""Dataclass configs that round-trip through JSON, with clear errors for unknown keys."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, TypeVar

from latentforge.errors import ConfigError

C = TypeVar("C", bound="Config")


def _is_tuple_type(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is tuple:
        return True
    return any(_is_tuple_type(arg) for arg in typing.get_args(annotation))


@dataclasses.dataclass
class Config:
    """Base of every config: ``to_dict`` / ``from_dict`` via JSON-friendly values."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls: type[C], values: dict[str, Any], source: str = "config") -> C:
        if not isinstance(values, dict):
            raise ConfigError(f"{source} must be a JSON object, got {type(values).__name__}")
        hints = typing.get_type_hints(cls)
        names = {f.name for f in dataclasses.fields(cls) if f.init}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ConfigError(
                f"{source} has unknown keys {unknown} for {cls.__name__}; known: {sorted(names)}"
            )
        kwargs = {
            key: tuple(value) if isinstance(value, list) and _is_tuple_type(hints[key]) else value
            for key, value in values.items()
        }
        try:
            return cls(**kwargs)
        except TypeError as err:
            raise ConfigError(f"{source} is invalid for {cls.__name__}: {err}") from None

    def replace(self: C, **changes: Any) -> C:
        return dataclasses.replace(self, **changes)


def require(condition: bool, message: str) -> None:
    """Raise :class:`ConfigError` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise ConfigError(message)
