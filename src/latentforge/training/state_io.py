"""Nested training state (optimiser state dicts, RNG states) without pickle.

``flatten`` splits a tree of dicts, lists, numbers, strings and tensors into a JSON tree
in which each tensor is replaced by ``{"__tensor__": key}`` and a flat ``{key: tensor}``
dict for safetensors. ``unflatten`` reverses it. Integer dict keys (optimiser states are
keyed by parameter index) are kept as ``{"__int_keys__": ...}``.
"""

from __future__ import annotations

from typing import Any

import torch

from latentforge.errors import CheckpointError

_TENSOR = "__tensor__"
_INT_KEYS = "__int_keys__"
_TUPLE = "__tuple__"


def flatten(tree: Any, prefix: str = "") -> tuple[Any, dict[str, torch.Tensor]]:
    tensors: dict[str, torch.Tensor] = {}

    def walk(node: Any, path: str) -> Any:
        if isinstance(node, torch.Tensor):
            tensors[path] = node.detach().cpu().clone().contiguous()
            return {_TENSOR: path}
        if isinstance(node, dict):
            if node and all(isinstance(k, int) for k in node):
                return {_INT_KEYS: {str(k): walk(v, f"{path}.{k}") for k, v in node.items()}}
            if not all(isinstance(k, str) for k in node):
                raise TypeError(f"cannot store dict keys of mixed types at {path!r}")
            return {k: walk(v, f"{path}.{k}") for k, v in node.items()}
        if isinstance(node, tuple):
            return {_TUPLE: [walk(v, f"{path}.{i}") for i, v in enumerate(node)]}
        if isinstance(node, list):
            return [walk(v, f"{path}.{i}") for i, v in enumerate(node)]
        if node is None or isinstance(node, bool | int | float | str):
            return node
        raise TypeError(f"cannot store {type(node).__name__} at {path!r} without pickle")

    return walk(tree, prefix), tensors


def unflatten(tree: Any, tensors: dict[str, torch.Tensor]) -> Any:
    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {_TENSOR}:
                key = node[_TENSOR]
                if key not in tensors:
                    raise CheckpointError(f"training state refers to a missing tensor {key!r}")
                return tensors[key]
            if set(node) == {_INT_KEYS}:
                return {int(k): walk(v) for k, v in node[_INT_KEYS].items()}
            if set(node) == {_TUPLE}:
                return tuple(walk(v) for v in node[_TUPLE])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(tree)
