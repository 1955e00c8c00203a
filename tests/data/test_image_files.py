import numpy as np
import pytest
import torch
from PIL import Image

from latentforge.data.image_files import decode_image, find_image_files, probe_image
from latentforge.data.transforms import ImageTransform
from latentforge.errors import DataError

from .writers import save_image

RNG = np.random.default_rng(3)
GREY = RNG.integers(0, 256, (6, 5), dtype=np.uint8)
RGB = RNG.integers(0, 256, (6, 5, 3), dtype=np.uint8)


@pytest.mark.parametrize("suffix", [".png", ".bmp", ".pgm", ".gif", ".tif"])
def test_lossless_grey_formats_decode_exactly(tmp_path, suffix):
    path = save_image(tmp_path / f"image{suffix}", GREY)
    info = probe_image(path)
    assert (info.height, info.width, info.colour) == (6, 5, False)
    decoded = decode_image(path, ImageTransform())
    assert decoded.shape == (1, 6, 5)
    np.testing.assert_array_equal(decoded[0].numpy(), GREY)


@pytest.mark.parametrize("suffix", [".png", ".bmp", ".ppm"])
def test_lossless_rgb_formats_decode_exactly(tmp_path, suffix):
    path = save_image(tmp_path / f"image{suffix}", RGB)
    assert probe_image(path).colour
    decoded = decode_image(path, ImageTransform())
    np.testing.assert_array_equal(decoded.permute(1, 2, 0).numpy(), RGB)


def test_jpeg_decodes_close_to_the_original(tmp_path):
    smooth = np.tile(np.linspace(0, 255, 16).astype(np.uint8), (16, 1))
    path = save_image(tmp_path / "image.JPG", np.stack([smooth] * 3, axis=-1), quality=95)
    decoded = decode_image(path, ImageTransform())
    assert decoded.shape == (3, 16, 16)
    assert np.abs(decoded[0].numpy().astype(int) - smooth).max() <= 8


def test_colour_gif_and_first_frame_only(tmp_path):
    path = tmp_path / "anim.gif"
    red = Image.new("RGB", (4, 3), (255, 0, 0))
    blue = Image.new("RGB", (4, 3), (0, 0, 255))
    red.save(path, save_all=True, append_images=[blue])
    assert probe_image(path).colour
    decoded = decode_image(path, ImageTransform())
    assert decoded[:, 0, 0].tolist() == [255, 0, 0]


def test_sixteen_bit_grey_is_scaled(tmp_path):
    path = tmp_path / "deep.png"
    Image.fromarray(GREY.astype(np.uint16) * 257).save(path)
    assert not probe_image(path).colour
    np.testing.assert_array_equal(decode_image(path, ImageTransform())[0].numpy(), GREY)


def test_decode_applies_the_transform(tmp_path):
    path = save_image(tmp_path / "rgb.png", RGB)
    decoded = decode_image(path, ImageTransform((3, 4), 1))
    whole = torch.from_numpy(RGB).permute(2, 0, 1)[None]
    assert torch.equal(decoded, ImageTransform((3, 4), 1)(whole)[0])


def test_find_is_recursive_sorted_case_insensitive_and_skips_hidden(tmp_path):
    for name in ["b.PNG", "a/z.jpeg", "a/deeper/c.Gif", ".hidden.png", ".cache/d.png", "notes.txt"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    found = [p.relative_to(tmp_path).as_posix() for p in find_image_files(tmp_path)]
    assert found == ["a/deeper/c.Gif", "a/z.jpeg", "b.PNG"]


def test_corrupt_and_truncated_files_name_the_file(tmp_path):
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(b"\x89PNG not really")
    with pytest.raises(DataError, match="garbage.png"):
        probe_image(garbage)
    good = save_image(tmp_path / "good.png", RGB)
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(good.read_bytes()[:60])
    with pytest.raises(DataError, match="truncated.png"):
        decode_image(truncated, ImageTransform())
