import pytest
import torch

from latentforge.errors import CheckpointError
from latentforge.training.state_io import flatten, unflatten


def test_adam_state_survives_the_round_trip_exactly():
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    model(torch.randn(4, 3)).sum().backward()
    opt.step()
    tree, tensors = flatten(opt.state_dict())
    restored = unflatten(tree, tensors)
    fresh = torch.optim.Adam(model.parameters(), lr=0.1)
    fresh.load_state_dict(restored)
    for a, b in zip(opt.state_dict()["state"].values(), fresh.state_dict()["state"].values()):
        for key in a:
            assert torch.equal(a[key], b[key])
    assert fresh.state_dict()["param_groups"] == opt.state_dict()["param_groups"]


def test_nested_types_are_kept():
    tree = {"a": (1, 2.5, "x"), "b": [None, True], "c": {0: torch.ones(2), 3: torch.zeros(1)}}
    json_tree, tensors = flatten(tree)
    back = unflatten(json_tree, tensors)
    assert back["a"] == (1, 2.5, "x") and back["b"] == [None, True]
    assert set(back["c"]) == {0, 3} and torch.equal(back["c"][0], torch.ones(2))


def test_objects_that_would_need_pickle_are_refused():
    with pytest.raises(TypeError, match="without pickle"):
        flatten({"f": object()})


def test_missing_tensor_is_a_checkpoint_error():
    tree, _ = flatten({"w": torch.ones(1)})
    with pytest.raises(CheckpointError, match="missing tensor"):
        unflatten(tree, {})
