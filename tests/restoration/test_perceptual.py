"""Feature losses: the relative feature error, VGG19 weights from disk only, random features."""

from __future__ import annotations

import pytest
import torch
from torchvision.models.vgg import cfgs, make_layers

from latentforge.errors import ConfigError
from latentforge.losses.perceptual import (
    RandomFeatures,
    VGG19Features,
    feature_loss,
    layer_outputs,
    vgg19_layers,
)


def test_feature_loss_is_the_mean_relative_squared_error_over_layers() -> None:
    a = [torch.tensor([1.0, 2.0]), torch.tensor([[3.0]])]
    b = [torch.tensor([1.0, 0.0]), torch.tensor([[1.0]])]
    # layer 1: (0 + 4) / (1 + 0) = 4; layer 2: 4 / 1 = 4
    assert feature_loss(a, b).item() == pytest.approx(4.0)
    assert feature_loss(b, b).item() == 0.0


def test_feature_loss_sends_no_gradient_into_the_target() -> None:
    a = torch.randn(3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    feature_loss([a], [b]).backward()
    assert a.grad is not None and b.grad is None
    with pytest.raises(Exception, match="feature maps"):
        feature_loss([a], [])


def test_vgg19_layers_are_numbered_like_torchvision() -> None:
    ours = vgg19_layers(36).state_dict()
    theirs = make_layers(cfgs["E"])[:36].state_dict()
    assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in theirs.items()}


def test_vgg19_features_need_weights_on_disk_and_never_download(tmp_path) -> None:
    with pytest.raises(ConfigError, match="never downloads") as err:
        VGG19Features(tmp_path / "vgg19.pth")
    assert str(tmp_path / "vgg19.pth") in str(err.value)


def test_vgg19_features_load_a_torchvision_style_checkpoint(tmp_path) -> None:
    reference = make_layers(cfgs["E"])[:9]  # up to relu2_2
    state = {f"features.{k}": v for k, v in reference.state_dict().items()}
    state["classifier.0.weight"] = torch.zeros(2, 2)  # other keys are ignored
    torch.save(state, tmp_path / "vgg19.pth")
    features = VGG19Features(tmp_path / "vgg19.pth", "relu2_2")
    grey = torch.rand(2, 1, 16, 16)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    expected = reference((grey.expand(-1, 3, -1, -1) - mean) / std)
    (got,) = features(grey)
    torch.testing.assert_close(got, expected)
    assert not any(p.requires_grad for p in features.parameters())
    with pytest.raises(ConfigError, match="--vgg-layer"):
        VGG19Features(tmp_path / "vgg19.pth", "relu9_9")
    torch.save({"other": torch.zeros(1)}, tmp_path / "wrong.pth")
    with pytest.raises(ConfigError, match="features"):
        VGG19Features(tmp_path / "wrong.pth", "relu2_2")


def test_random_features_are_the_same_network_every_time() -> None:
    x = torch.rand(2, 3, 12, 12)
    first, second = RandomFeatures(3)(x), RandomFeatures(3)(x)
    assert [f.shape[1:] for f in first] == [(32, 12, 12), (64, 6, 6), (64, 3, 3)]
    for a, b in zip(first, second):
        torch.testing.assert_close(a, b)
    assert not torch.equal(RandomFeatures(3, seed=1)(x)[0], first[0])


def test_layer_outputs_lists_every_intermediate_result() -> None:
    layers = torch.nn.Sequential(torch.nn.Identity(), torch.nn.ReLU())
    x = torch.randn(4)
    outs = layer_outputs(layers, x)
    torch.testing.assert_close(outs[0], x)
    torch.testing.assert_close(outs[1], x.relu())
