import numpy as np
import pytest
import torch
from PIL import Image

from latentforge.data.transforms import (
    ImageTransform,
    convert_channels,
    gray_to_rgb,
    resize_images,
    rgb_to_gray,
)
from latentforge.errors import ConfigError


def _random(shape, seed=0):
    return torch.from_numpy(np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8))


def test_rgb_to_gray_is_itu_r_601_2_luma_rounded():
    images = _random((4, 3, 9, 7))
    rgb = images.numpy().astype(np.float64)
    luma = 0.299 * rgb[:, 0] + 0.587 * rgb[:, 1] + 0.114 * rgb[:, 2]
    expected = np.floor(luma + 0.5).astype(np.uint8)[:, None]
    gray = rgb_to_gray(images)
    assert gray.dtype == torch.uint8 and gray.shape == (4, 1, 9, 7)
    np.testing.assert_array_equal(gray.numpy(), expected)


def test_rgb_to_gray_rounds_exact_halves_up():
    # 0.299 * 255 + 0.587 * 0 + 0.114 * 5 = 76.815 -> 77;  0.114 * 250 = 28.5 -> 29 (half up).
    images = torch.tensor([[255, 0], [0, 0], [5, 250]], dtype=torch.uint8).view(1, 3, 1, 2)
    assert rgb_to_gray(images).flatten().tolist() == [77, 29]


def test_gray_to_rgb_repeats_the_channel():
    gray = _random((2, 1, 5, 4))
    rgb = gray_to_rgb(gray)
    assert rgb.shape == (2, 3, 5, 4)
    for channel in range(3):
        assert torch.equal(rgb[:, channel], gray[:, 0])
    assert torch.equal(convert_channels(gray, 1), gray)


@pytest.mark.parametrize("size", [(8, 6), (29, 31), (12, 40)])
def test_resize_matches_pil_bilinear(size):
    """PIL's BILINEAR resize antialiases when shrinking: the reference for our resize."""
    images = _random((3, 1, 24, 20), seed=1)
    ours = resize_images(images, size)
    assert ours.dtype == torch.uint8 and ours.shape == (3, 1, *size)
    for image, resized in zip(images, ours, strict=True):
        reference = Image.fromarray(image[0].numpy()).resize((size[1], size[0]), Image.BILINEAR)
        difference = np.abs(resized[0].numpy().astype(int) - np.asarray(reference).astype(int))
        assert difference.max() <= 1


def test_shrinking_is_antialiased():
    # Stripes 0,255,255,0 (period 4) shrunk 4x: each output pixel centre falls between two 255
    # columns, so plain bilinear sampling gives 255, but the triangle filter (support 8 input
    # pixels, weights 1 - |d| / 4) averages the stripes: 255 * 2.0 / 4.0 = 127.5.
    stripes = np.where(np.isin(np.arange(32) % 4, (1, 2)), 255, 0).astype(np.uint8)
    image = torch.from_numpy(np.tile(stripes, (32, 1)))[None, None]
    small = resize_images(image, (32, 8))
    assert (small[..., 1:-1].int() - 128).abs().max() <= 1


def test_transform_to_gray_and_size_on_flat_colour_gives_its_luma():
    colour = torch.tensor([200, 100, 50], dtype=torch.uint8).view(1, 3, 1, 1).expand(2, 3, 10, 6)
    out = ImageTransform.from_options(image_size=(4, 5), channels=1)(colour)
    luma = int(np.floor(0.299 * 200 + 0.587 * 100 + 0.114 * 50 + 0.5))
    assert out.shape == (2, 1, 4, 5)
    assert (out == luma).all()


def test_transform_int_size_and_to_rgb():
    images = _random((2, 1, 10, 10))
    out = ImageTransform.from_options(image_size=5, channels=3)(images)
    assert out.shape == (2, 3, 5, 5)
    assert torch.equal(out[:, 0], out[:, 2])


def test_apply_in_chunks_equals_one_call_and_skips_identity():
    images = _random((11, 3, 9, 9))
    transform = ImageTransform.from_options(image_size=6, channels=1)
    assert torch.equal(transform.apply_in_chunks(images, chunk=4), transform(images))
    assert ImageTransform().apply_in_chunks(images) is images
    assert transform.output_shape((3, 9, 9)) == (1, 6, 6)
    assert not ImageTransform(None, 3).changes((3, 9, 9))


@pytest.mark.parametrize("channels", [0, 2, 4, True, "3"])
def test_bad_channels_are_config_errors(channels):
    with pytest.raises(ConfigError, match="channels"):
        ImageTransform.from_options(channels=channels)


@pytest.mark.parametrize("size", [0, -3, (4, 0), (1, 2, 3), 2.5, (4, "4"), True])
def test_bad_sizes_are_config_errors(size):
    with pytest.raises(ConfigError, match="image_size"):
        ImageTransform.from_options(image_size=size)
