"""Inception-v3 features: finding the weights (never downloaded), errors, shapes with random
weights, and the FID variant's pooling."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torchvision.models import inception as tv_inception

from latentforge.errors import CheckpointError, DataError
from latentforge.evaluation.feature_extractors import load_feature_extractor
from latentforge.metrics.features.inception import (
    WEIGHTS_ENV,
    FIDInceptionA,
    InceptionV3Features,
    find_weights,
    load_inception_network,
)


@pytest.fixture
def no_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENTFORGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv(WEIGHTS_ENV, raising=False)
    return tmp_path


def test_absent_weights_error_says_which_file_and_where(no_weights) -> None:
    with pytest.raises(DataError) as error:
        load_feature_extractor("inception")
    message = str(error.value)
    assert "pt_inception-2015-12-05-6726825d.pth" in message
    assert "weights-inception-2015-12-05-6726825d.pth" in message
    assert str(no_weights / "home" / "weights") in message
    assert str(no_weights / "torch" / "hub" / "checkpoints") in message
    assert WEIGHTS_ENV in message and "\n" not in message


def test_weights_are_found_in_the_cache_and_hub_folders(no_weights) -> None:
    hub = no_weights / "torch" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    (hub / "inception_v3_google-0cc3c7bd.pth").write_bytes(b"")
    assert find_weights() == hub / "inception_v3_google-0cc3c7bd.pth"
    ours = no_weights / "home" / "weights"
    ours.mkdir(parents=True)
    (ours / "weights-inception-2015-12-05-6726825d.pth").write_bytes(b"")
    assert find_weights() == ours / "weights-inception-2015-12-05-6726825d.pth"  # FID first


def test_env_variable_must_name_a_file(no_weights, monkeypatch) -> None:
    monkeypatch.setenv(WEIGHTS_ENV, str(no_weights / "missing.pth"))
    with pytest.raises(DataError, match="not a file"):
        find_weights()


def test_corrupt_or_foreign_files_are_refused(tmp_path) -> None:
    garbage = tmp_path / "pt_inception-2015-12-05-6726825d.pth"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot read"):
        load_inception_network(garbage)
    partial = tmp_path / "partial.pth"
    torch.save({"fc.weight": torch.zeros(1008, 2048)}, partial)
    with pytest.raises(CheckpointError, match="does not fit"):
        load_inception_network(partial)
    other = tmp_path / "other.pth"
    torch.save({"fc.weight": torch.zeros(10, 2048)}, other)
    with pytest.raises(CheckpointError, match="not an Inception"):
        load_inception_network(other)


@pytest.mark.parametrize(("variant", "classes"), [("fid", 1008), ("torchvision", 1000)])
def test_random_weight_shapes(variant: str, classes: int) -> None:
    torch.manual_seed(0)
    network = InceptionV3Features(variant, input_size=75).eval()  # 75: the smallest it accepts
    with torch.no_grad():
        features, logits = network.features_and_logits(torch.rand(2, 1, 28, 28))
    assert features.shape == (2, 2048) and logits.shape == (2, classes)
    assert torch.isfinite(features).all()


def test_fid_blocks_pool_without_padding_and_7c_max_pools() -> None:
    torch.manual_seed(0)
    block = tv_inception.InceptionA(8, pool_features=4).eval()
    x = torch.rand(1, 8, 5, 5)
    with torch.no_grad():
        plain = block(x)
        block.__class__ = FIDInceptionA  # what the FID network does to Mixed_5b..5d
        patched = block(x)
        expected_pool = block.branch_pool(F.avg_pool2d(x, 3, 1, 1, count_include_pad=False))
    torch.testing.assert_close(patched[:, :-4], plain[:, :-4])  # other branches unchanged
    torch.testing.assert_close(patched[:, -4:], expected_pool)
    assert not torch.allclose(patched[:, -4:], plain[:, -4:])  # borders differ
    network = InceptionV3Features("fid", input_size=75)
    grid = torch.arange(9.0).view(1, 1, 3, 3).expand(1, 2048, 3, 3)
    mixed_7c = network.net.Mixed_7c
    with torch.no_grad():
        out = mixed_7c(grid)
        expected = mixed_7c.branch_pool(F.max_pool2d(grid, 3, 1, 1))
    torch.testing.assert_close(out[:, -192:], expected)
