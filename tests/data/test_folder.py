import numpy as np
import pytest
import torch

from latentforge.data import FolderImageSet, TensorImageSet, load_data
from latentforge.data.batching import iterate_batches
from latentforge.errors import DataError

from .writers import save_image

RNG = np.random.default_rng(4)


def _labelled_folder(root, size=(6, 5)):
    """cats/ and dogs/ with grey images in several formats (one nested deeper); returns pixels."""
    pixels = {}
    names = [
        "cats/a.png",
        "cats/b.bmp",
        "cats/deeper/c.pgm",
        "dogs/d.gif",
        "dogs/e.PNG",
        "dogs/f.png",
        "dogs/g.bmp",
    ]
    for name in names:
        pixels[name] = RNG.integers(0, 256, size, dtype=np.uint8)
        save_image(root / name, pixels[name])
    return pixels


def test_labels_from_first_level_subfolders(tmp_path):
    pixels = _labelled_folder(tmp_path)
    bundle = load_data(str(tmp_path), val_fraction=0)
    assert bundle.name == tmp_path.name and bundle.class_names == ["cats", "dogs"]
    assert isinstance(bundle.train, TensorImageSet) and bundle.train.shape == (1, 6, 5)
    ordered = sorted(pixels)  # files are read in sorted path order
    assert bundle.train.labels.tolist() == [0 if n.startswith("cats") else 1 for n in ordered]
    for row, name in enumerate(ordered):
        np.testing.assert_array_equal(bundle.train.images[row, 0].numpy(), pixels[name])


def test_flat_folder_is_unlabelled_and_colour_wins(tmp_path):
    save_image(tmp_path / "grey.png", RNG.integers(0, 256, (4, 4), dtype=np.uint8))
    colour = RNG.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    save_image(tmp_path / "rgb.png", colour)
    bundle = load_data(str(tmp_path), val_fraction=0)
    assert bundle.train.labels is None and bundle.class_names is None
    assert bundle.channels == 3
    np.testing.assert_array_equal(bundle.train.images[1].permute(1, 2, 0).numpy(), colour)
    grey = load_data(str(tmp_path), val_fraction=0, channels=1)
    assert grey.channels == 1


def test_mixed_sizes_need_image_size(tmp_path):
    save_image(tmp_path / "small.png", np.zeros((4, 4), np.uint8))
    save_image(tmp_path / "large.png", np.zeros((8, 6), np.uint8))
    with pytest.raises(DataError, match="--image-size") as error:
        load_data(str(tmp_path))
    message = str(error.value)
    assert "small.png" in message and "large.png" in message and "6x8" in message
    resized = load_data(str(tmp_path), image_size=5, val_fraction=0)
    assert resized.image_size == (5, 5) and len(resized.train) == 2


def test_corrupt_image_names_the_file(tmp_path):
    _labelled_folder(tmp_path)
    (tmp_path / "dogs" / "broken.jpg").write_bytes(b"\xff\xd8 definitely not a jpeg")
    with pytest.raises(DataError, match="broken.jpg"):
        load_data(str(tmp_path))


def test_empty_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("no images here")
    with pytest.raises(DataError, match="no image files"):
        load_data(str(tmp_path))


def test_images_both_at_top_level_and_in_subfolders(tmp_path):
    save_image(tmp_path / "loose.png", np.zeros((4, 4), np.uint8))
    save_image(tmp_path / "cls" / "in.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(DataError, match="loose.png"):
        load_data(str(tmp_path))


def _both(tmp_path, **options):
    memory = load_data(str(tmp_path), **options)
    streamed = load_data(str(tmp_path), stream_threshold_bytes=0, **options)
    return memory, streamed


def test_streaming_set_equals_the_in_memory_one(tmp_path):
    _labelled_folder(tmp_path, size=(9, 7))
    save_image(tmp_path / "dogs" / "colour.png", RNG.integers(0, 256, (9, 7, 3), dtype=np.uint8))
    memory, streamed = _both(tmp_path, image_size=(6, 8), val_fraction=0.25, seed=5)
    for split in ("train", "val"):
        in_memory, on_disk = memory.split(split), streamed.split(split)
        assert isinstance(on_disk, FolderImageSet) and not on_disk.in_memory
        assert on_disk.shape == in_memory.shape == (3, 6, 8)
        everything = torch.arange(len(on_disk))
        images, labels = on_disk.take(everything)
        assert torch.equal(images, in_memory.images) and torch.equal(labels, in_memory.labels)
    assert streamed.class_names == memory.class_names


def test_threshold_is_compared_with_the_decoded_size(tmp_path):
    _labelled_folder(tmp_path)  # 7 images x 1 x 6 x 5 = 210 bytes
    at = load_data(str(tmp_path), stream_threshold_bytes=210, val_fraction=0)
    below = load_data(str(tmp_path), stream_threshold_bytes=209, val_fraction=0)
    assert at.train.in_memory and not below.train.in_memory


@pytest.mark.parametrize("num_workers", [0, 2])
def test_streamed_batches_equal_in_memory_batches(tmp_path, num_workers):
    _labelled_folder(tmp_path)
    memory, streamed = _both(tmp_path, val_fraction=0)
    options = {"batch_size": 3, "seed": 11, "epoch": 2, "drop_last": False}
    expected = list(iterate_batches(memory.train, num_workers=0, **options))
    got = list(iterate_batches(streamed.train, num_workers=num_workers, **options))
    assert len(got) == len(expected) == 3
    for mine, reference in zip(got, expected, strict=True):
        assert torch.equal(mine["images"], reference["images"])
        assert torch.equal(mine["labels"], reference["labels"])


def test_streaming_reports_damage_found_while_training(tmp_path):
    pixels = _labelled_folder(tmp_path)
    streamed = load_data(str(tmp_path), stream_threshold_bytes=0, val_fraction=0).train
    victim = tmp_path / sorted(pixels)[1]
    victim.write_bytes(victim.read_bytes()[:40])
    with pytest.raises(DataError, match=victim.name):
        streamed.take(torch.tensor([1]))


def test_damage_found_in_a_worker_is_one_line_naming_the_file(tmp_path):
    pixels = _labelled_folder(tmp_path)
    streamed = load_data(str(tmp_path), stream_threshold_bytes=0, val_fraction=0).train
    victim = tmp_path / sorted(pixels)[1]
    victim.write_bytes(victim.read_bytes()[:40])
    with pytest.raises(DataError) as caught:
        list(iterate_batches(streamed, batch_size=7, shuffle=False, num_workers=2))
    message = str(caught.value)
    assert victim.name in message and "\n" not in message and "Traceback" not in message
