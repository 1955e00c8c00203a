import math

import pytest
import torch

from latentforge.data.corruption import (
    CorruptInputs,
    GaussianNoise,
    PixelMask,
    SaltPepper,
    corruption_transform,
    parse_corruption,
)
from latentforge.errors import ConfigError, ShapeError
from latentforge.training.run import DataConfig


def _grey(n=64, c=1, size=32, value=0.5):
    return torch.full((n, c, size, size), value)


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_gaussian_noise_has_the_asked_std_and_zero_mean():
    clean = _grey()  # at 0.5 with sigma 0.05 clipping needs a 10-sigma draw: never happens
    noise = GaussianNoise(0.05)(clean, _gen()) - clean
    assert abs(noise.mean().item()) < 0.05 * 0.02
    assert noise.std().item() == pytest.approx(0.05, rel=0.02)


def test_gaussian_noise_is_clipped_to_the_unit_interval():
    # On black images x~ = max(0, sigma Z), whose mean is sigma / sqrt(2 pi) (half-normal).
    noisy = GaussianNoise(0.4)(_grey(value=0.0), _gen())
    assert noisy.min().item() >= 0.0 and noisy.max().item() <= 1.0
    assert (noisy == 0).float().mean().item() == pytest.approx(0.5, abs=0.01)
    expected = 0.4 / math.sqrt(2 * math.pi) - 0.4 * _upper_tail_excess(1.0 / 0.4)
    assert noisy.mean().item() == pytest.approx(expected, rel=0.02)


def _upper_tail_excess(a: float) -> float:
    """E[(Z - a)^+] for a standard normal Z: phi(a) - a (1 - Phi(a)) (values above 1 clip)."""
    phi = math.exp(-a * a / 2) / math.sqrt(2 * math.pi)
    return phi - a * 0.5 * math.erfc(a / math.sqrt(2))


@pytest.mark.parametrize("fraction", [0.05, 0.2, 0.6])
def test_salt_and_pepper_fractions(fraction):
    clean = _grey(c=3)
    noisy = SaltPepper(fraction)(clean, _gen(1))
    salt = (noisy == 1.0).all(dim=1)
    pepper = (noisy == 0.0).all(dim=1)
    changed = (noisy != clean).any(dim=1)
    assert torch.equal(changed, salt | pepper)  # every channel of a hit pixel is hit
    count = changed.numel()
    tolerance = 4 * math.sqrt(fraction * (1 - fraction) / count)  # 4 binomial std
    assert changed.float().mean().item() == pytest.approx(fraction, abs=tolerance)
    assert salt.float().mean().item() == pytest.approx(fraction / 2, abs=tolerance)
    assert pepper.float().mean().item() == pytest.approx(fraction / 2, abs=tolerance)


@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.9])
def test_mask_zeroes_the_asked_fraction_of_pixels(fraction):
    clean = torch.rand((32, 3, 32, 32), generator=_gen(5)) * 0.9 + 0.1  # no zeros to start
    noisy = PixelMask(fraction)(clean, _gen(2))
    zeroed = (noisy == 0).all(dim=1)
    kept = (noisy == clean).all(dim=1)
    assert torch.equal(zeroed, ~kept)
    tolerance = 4 * math.sqrt(fraction * (1 - fraction) / zeroed.numel())
    assert zeroed.float().mean().item() == pytest.approx(fraction, abs=tolerance)


@pytest.mark.parametrize("spec", ["gaussian:0.3", "salt-pepper:0.2", "mask:0.25"])
def test_same_seed_same_corruption_other_seed_other(spec):
    corruption = parse_corruption(spec)
    clean = _grey(8)
    assert torch.equal(corruption(clean, _gen(3)), corruption(clean, _gen(3)))
    assert not torch.equal(corruption(clean, _gen(3)), corruption(clean, _gen(4)))
    torch.manual_seed(11)
    first = corruption(clean)
    torch.manual_seed(11)
    assert torch.equal(first, corruption(clean))  # the global RNG, as training uses it


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("gaussian:0.3", GaussianNoise(0.3)),
        ("salt-pepper:0.2", SaltPepper(0.2)),
        (" mask : 0.25 ", PixelMask(0.25)),
        ("gaussian:0", GaussianNoise(0.0)),
        ("mask:1", PixelMask(1.0)),
    ],
)
def test_specs_parse_and_print_back(spec, expected):
    corruption = parse_corruption(spec)
    assert corruption == expected
    assert parse_corruption(str(corruption)) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("gaussian", "not of the form"),
        ("gaussian:0.1:2", "not of the form"),
        ("blur:0.3", "unknown corruption 'blur'"),
        ("gaussian:abc", "'abc' is not a number"),
        ("gaussian:-0.1", "sigma must be >= 0"),
        ("mask:1.5", "fraction must be in [0, 1]"),
        ("salt-pepper:-0.2", "fraction must be in [0, 1]"),
        ("gaussian:nan", "must be finite"),
        ("mask:inf", "must be finite"),
    ],
)
def test_bad_specs_name_the_problem(spec, message):
    with pytest.raises(ConfigError, match="--noise") as info:
        parse_corruption(spec)
    assert message in str(info.value)


def test_bad_spec_fails_when_the_data_options_are_made():
    with pytest.raises(ConfigError, match="unknown corruption"):
        DataConfig(noise="speckle:0.1")
    assert DataConfig().batch_transform() is None


def test_corruptions_need_float_image_batches():
    with pytest.raises(ShapeError):
        GaussianNoise(0.1)(torch.zeros(2, 4, 4), None)
    with pytest.raises(ShapeError):
        PixelMask(0.1)(torch.zeros(2, 1, 4, 4, dtype=torch.uint8), None)


def test_batch_transform_keeps_clean_images_and_adds_inputs():
    batch = {"images": _grey(4), "labels": torch.arange(4)}
    out = CorruptInputs(GaussianNoise(0.2), _gen(0))(batch)
    assert out["images"] is batch["images"] and out["labels"] is batch["labels"]
    expected = GaussianNoise(0.2)(batch["images"], _gen(0))
    assert torch.equal(out["inputs"], expected)
    assert "inputs" not in batch  # the input batch is not modified
    assert corruption_transform(None) is None
    assert corruption_transform("mask:0.5").corruption == PixelMask(0.5)
