"""Image pairs: stacking and splitting, the folder forms (paired, side-by-side, unpaired),
Sobel edges against scipy, and the built-in tasks edges2fashion and sneaker2boot."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage
import torch

from latentforge.data import load_data
from latentforge.data.edges import edge_map, sobel_magnitude
from latentforge.data.pairs import split_pair, stack_pair, unpaired_stack
from latentforge.errors import ConfigError, DataError, ShapeError

from .writers import save_image


def test_stack_and_split_are_inverse() -> None:
    a, b = torch.rand(3, 2, 4, 5), torch.rand(3, 2, 4, 5)
    pairs = stack_pair(a, b)
    assert pairs.shape == (3, 4, 4, 5)
    source, target = split_pair(pairs)
    assert torch.equal(source, a) and torch.equal(target, b)
    with pytest.raises(ShapeError, match="edges2fashion"):
        split_pair(torch.rand(3, 3, 4, 5))


def test_unpaired_stack_cycles_the_shorter_collection() -> None:
    a = torch.arange(5).view(5, 1, 1, 1)
    b = torch.arange(100, 102).view(2, 1, 1, 1)
    pairs = unpaired_stack(a, b)
    assert pairs[:, 0, 0, 0].tolist() == [0, 1, 2, 3, 4]
    assert pairs[:, 1, 0, 0].tolist() == [100, 101, 100, 101, 100]


def test_sobel_magnitude_matches_scipy() -> None:
    images = np.random.default_rng(0).random((3, 9, 7))
    expected = np.stack(
        [
            np.hypot(
                scipy.ndimage.sobel(im, axis=1, mode="nearest"),
                scipy.ndimage.sobel(im, axis=0, mode="nearest"),
            )
            for im in images
        ]
    )
    ours = sobel_magnitude(torch.from_numpy(images)[:, None])[:, 0].numpy()
    np.testing.assert_allclose(ours, expected, atol=1e-12)


def test_edge_map_thresholds_against_each_images_peak() -> None:
    image = torch.zeros(1, 1, 6, 6, dtype=torch.uint8)
    image[..., 3:] = 255  # a vertical step: |G| = 4 on columns 2 and 3, 0 elsewhere
    edges = edge_map(torch.cat([image, image // 4 + 10, torch.zeros_like(image)]), 0.5)
    expected = torch.zeros(6, 6, dtype=torch.uint8)
    expected[:, 2:4] = 255
    assert torch.equal(edges[0, 0], expected)
    assert torch.equal(edges[1, 0], expected)  # relative to its own peak: contrast-free
    assert edges[2].max() == 0  # a flat image has no edges
    rgb = edge_map(image.expand(1, 3, 6, 6))
    assert rgb.shape == (1, 3, 6, 6) and torch.equal(rgb[0, 1], expected)
    with pytest.raises(ConfigError, match="threshold"):
        edge_map(image, 1.5)


def _grey(value: int, size=(6, 4)) -> np.ndarray:
    return np.full(size, value, np.uint8)


def test_paired_folders_match_by_name_across_extensions(tmp_path) -> None:
    for i, name in enumerate(["x", "y", "sub/z"]):
        save_image(tmp_path / "A" / f"{name}.png", _grey(10 * i))
        save_image(tmp_path / "B" / f"{name}.bmp", _grey(10 * i + 5))
    data = load_data(f"paired:{tmp_path / 'A'},{tmp_path / 'B'}", val_fraction=0)
    assert data.extra["layout"] == "paired" and data.train.shape == (2, 6, 4)
    pairs = data.train.images
    assert sorted(pairs[:, 0, 0, 0].tolist()) == [0, 10, 20]
    assert torch.equal(pairs[:, 1], pairs[:, 0] + 5)  # each B image beside its own A image


def test_paired_folders_resize_each_image_and_unify_channels(tmp_path) -> None:
    save_image(tmp_path / "A" / "x.png", _grey(50, (8, 8)))
    save_image(tmp_path / "B" / "x.png", np.full((8, 8, 3), (255, 0, 0), np.uint8))
    data = load_data(f"paired:{tmp_path / 'A'},{tmp_path / 'B'}", image_size=4, val_fraction=0)
    assert data.train.shape == (6, 4, 4)  # grey A became RGB like B
    assert data.train.images[0, :3].unique().tolist() == [50]
    assert data.train.images[0, 3:, 0, 0].tolist() == [255, 0, 0]


def test_paired_folders_name_the_files_without_a_partner(tmp_path) -> None:
    for name in ("x", "y"):
        save_image(tmp_path / "A" / f"{name}.png", _grey(1))
    save_image(tmp_path / "B" / "x.png", _grey(1))
    save_image(tmp_path / "B" / "w.png", _grey(1))
    with pytest.raises(DataError, match=r"1 file\(s\) in .*A have no partner.*\(y\).*\(w\)"):
        load_data(f"paired:{tmp_path / 'A'},{tmp_path / 'B'}")
    with pytest.raises(DataError, match="two folders separated by a comma"):
        load_data(f"paired:{tmp_path / 'A'}")
    with pytest.raises(DataError, match="does not exist"):
        load_data(f"paired:{tmp_path / 'A'},{tmp_path / 'nope'}")


def test_side_by_side_splits_left_source_from_right_target(tmp_path) -> None:
    for i in range(3):
        pixels = np.concatenate([_grey(i), _grey(100 + i)], axis=1)  # 6 x 8: left | right
        save_image(tmp_path / "pairs" / f"{i}.png", pixels)
    data = load_data(f"side-by-side:{tmp_path / 'pairs'}", val_fraction=0)
    assert data.train.shape == (2, 6, 4)
    assert data.train.images[:, 0, 0, 0].tolist() == [0, 1, 2]
    assert data.train.images[:, 1, 0, 0].tolist() == [100, 101, 102]
    resized = load_data(f"side-by-side:{tmp_path / 'pairs'}", image_size=3, val_fraction=0)
    assert resized.train.shape == (2, 3, 3)
    save_image(tmp_path / "odd" / "0.png", _grey(0, (4, 5)))
    with pytest.raises(DataError, match="even width"):
        load_data(f"side-by-side:{tmp_path / 'odd'}")


def test_unpaired_folders_hold_both_collections(tmp_path) -> None:
    for i in range(3):
        save_image(tmp_path / "A" / f"{i}.png", _grey(i))
    save_image(tmp_path / "B" / "only.png", _grey(200))
    data = load_data(f"unpaired:{tmp_path / 'A'},{tmp_path / 'B'}", val_fraction=0)
    assert data.extra["layout"] == "unpaired"
    assert (data.extra["count_a"], data.extra["count_b"]) == ("3", "1")
    assert data.train.images[:, 0, 0, 0].tolist() == [0, 1, 2]
    assert data.train.images[:, 1, 0, 0].tolist() == [200, 200, 200]


@pytest.fixture
def fashion_dir(tmp_path, sample_bundle):
    """A data directory with a small ``fashion-mnist.npz`` (train and test)."""
    images = sample_bundle.train.images[:300, 0].numpy()
    labels = sample_bundle.train.labels[:300].numpy()
    np.savez(
        tmp_path / "fashion-mnist.npz",
        x_train=images[:200],
        y_train=labels[:200],
        x_test=images[200:],
        y_test=labels[200:],
    )
    return tmp_path, images, labels


def test_edges2fashion_uses_local_fashion_mnist_and_pairs_edges_with_items(fashion_dir) -> None:
    data_dir, images, _ = fashion_dir
    data = load_data("edges2fashion", data_dir=data_dir, val_fraction=0)
    assert "fashion-mnist.npz" in data.extra["source"] and data.extra["layout"] == "paired"
    source, target = split_pair(data.train.images)
    assert torch.equal(target[:, 0], torch.from_numpy(images[:200]))
    assert torch.equal(source, edge_map(target))
    assert len(data.test) == 100 and data.class_names[7] == "Sneaker"


def test_edges2fashion_falls_back_to_the_sample_offline(tmp_path) -> None:
    data = load_data("edges2fashion", data_dir=tmp_path, download=False, val_fraction=0.1)
    assert "built-in sample" in data.extra["source"]
    assert (len(data.train), len(data.val), data.test) == (9000, 1000, None)


def test_sneaker2boot_pairs_sneakers_with_ankle_boots(fashion_dir) -> None:
    data_dir, images, labels = fashion_dir
    data = load_data("sneaker2boot", data_dir=data_dir, val_fraction=0)
    assert data.extra["layout"] == "unpaired"
    assert (data.extra["domain_a"], data.extra["domain_b"]) == ("Sneaker", "Ankle boot")
    sneakers, boots = images[:200][labels[:200] == 7], images[:200][labels[:200] == 9]
    a, b = split_pair(data.train.images)
    assert len(a) == max(len(sneakers), len(boots))
    assert torch.equal(a[: len(sneakers), 0], torch.from_numpy(sneakers))
    assert torch.equal(b[: len(boots), 0], torch.from_numpy(boots))
    assert data.test is not None


def test_edges_of_any_spec_and_no_pairs_of_pairs(tiny_split_npz, tmp_path) -> None:
    data = load_data(f"edges:{tiny_split_npz}", image_size=14, val_fraction=0)
    assert data.train.shape == (2, 14, 14) and len(data.test) == 64
    assert torch.equal(split_pair(data.train.images)[0], edge_map(split_pair(data.train.images)[1]))
    with pytest.raises(DataError, match="holds pairs"):
        load_data("edges:edges2fashion", data_dir=tmp_path, download=False)
