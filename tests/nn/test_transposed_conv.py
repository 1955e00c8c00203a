"""The reference transposed convolution against torch, closed forms and hand computations."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from latentforge.errors import ConfigError, ShapeError
from latentforge.nn.transposed_conv import (
    conv_transpose2d_output_size,
    output_padding_for,
    reference_conv_transpose2d,
)

N_RANDOM_CASES = 60


@dataclass(frozen=True)
class Case:
    """One random transposed-convolution configuration (pairs are (height, width))."""

    batch: int
    c_in: int
    c_out: int
    size: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    output_padding: tuple[int, int]
    dilation: tuple[int, int]
    groups: int
    bias: bool

    def kwargs(self) -> dict:
        return {
            "stride": self.stride,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "dilation": self.dilation,
            "groups": self.groups,
        }

    def tensors(self, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        g = torch.Generator().manual_seed(seed)
        x = torch.randn(self.batch, self.c_in, *self.size, generator=g, dtype=torch.float64)
        w_shape = (self.c_in, self.c_out // self.groups, *self.kernel)
        weight = torch.randn(w_shape, generator=g, dtype=torch.float64)
        bias = torch.randn(self.c_out, generator=g, dtype=torch.float64) if self.bias else None
        return x, weight, bias


def random_case(seed: int) -> Case:
    """Stride 1-3, padding 0-2, dilation 1-2, groups 1-2, any valid output_padding, per axis."""
    rng = np.random.default_rng(seed)
    groups = int(rng.integers(1, 3))
    axes = []  # one (size, kernel, stride, padding, output_padding, dilation) per axis
    for _ in range(2):
        n, k, s, d = (int(rng.integers(lo, hi)) for lo, hi in ((1, 6), (1, 5), (1, 4), (1, 3)))
        op = int(rng.integers(0, max(s, d)))
        p = int(rng.integers(0, 3))
        while (n - 1) * s - 2 * p + d * (k - 1) + op + 1 < 1:  # keep the output non-empty
            p -= 1
        axes.append((n, k, s, p, op, d))
    size, kernel, stride, padding, output_padding, dilation = zip(*axes, strict=True)
    return Case(
        batch=int(rng.integers(1, 3)),
        c_in=groups * int(rng.integers(1, 4)),
        c_out=groups * int(rng.integers(1, 4)),
        size=size,
        kernel=kernel,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
        groups=groups,
        bias=bool(rng.integers(0, 2)),
    )


CASES = [random_case(seed) for seed in range(N_RANDOM_CASES)]


def test_random_cases_cover_every_option():
    """The random cases really exercise what the tests below claim to cover."""
    assert {s for c in CASES for s in c.stride} == {1, 2, 3}
    assert {p for c in CASES for p in c.padding} == {0, 1, 2}
    assert {d for c in CASES for d in c.dilation} == {1, 2}
    assert {c.groups for c in CASES} == {1, 2}
    assert {c.bias for c in CASES} == {True, False}
    assert any(op > 0 for c in CASES for op in c.output_padding)
    assert any(c.kernel[0] != c.kernel[1] for c in CASES)
    assert any(c.size[0] != c.size[1] for c in CASES)
    assert any(op >= s for c in CASES for op, s in zip(c.output_padding, c.stride, strict=True))


@pytest.mark.parametrize("seed", range(N_RANDOM_CASES))
def test_matches_torch(seed):
    case = CASES[seed]
    x, weight, bias = case.tensors(seed)
    expected = F.conv_transpose2d(x, weight, bias, **case.kwargs())
    actual = reference_conv_transpose2d(x, weight, bias, **case.kwargs())
    assert actual.shape == expected.shape
    torch.testing.assert_close(actual, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("seed", range(0, N_RANDOM_CASES, 3))
def test_gradients_match_torch(seed):
    case = CASES[seed]
    tensors = case.tensors(seed)
    grad_out = None
    grads = []
    for fn in (F.conv_transpose2d, reference_conv_transpose2d):
        x, weight, bias = (t.clone().requires_grad_() if t is not None else None for t in tensors)
        out = fn(x, weight, bias, **case.kwargs())
        if grad_out is None:
            g = torch.Generator().manual_seed(seed + 1000)
            grad_out = torch.randn(out.shape, generator=g, dtype=out.dtype)
        inputs = [t for t in (x, weight, bias) if t is not None]
        grads.append(torch.autograd.grad(out, inputs, grad_out))
    for expected, actual in zip(*grads, strict=True):
        torch.testing.assert_close(actual, expected, rtol=1e-10, atol=1e-10)


def _conv2d_cropped(y: torch.Tensor, case: Case, weight: torch.Tensor) -> torch.Tensor:
    """conv2d with the same weight, cropped to the transposed convolution's input size.

    conv2d of an output-sized tensor returns extra rows/columns when output_padding >= stride
    (possible when dilation > stride); the transposed convolution is the adjoint of the crop.
    """
    kw = {k: v for k, v in case.kwargs().items() if k != "output_padding"}
    return F.conv2d(y, weight, **kw)[:, :, : case.size[0], : case.size[1]]


@pytest.mark.parametrize("seed", range(N_RANDOM_CASES))
def test_is_adjoint_of_conv2d(seed):
    """<conv2d(y, W), x> == <y, conv_transpose2d(x, W)> for every x and y."""
    case = CASES[seed]
    x, weight, _ = case.tensors(seed)
    transposed = reference_conv_transpose2d(x, weight, **case.kwargs())
    y = torch.randn(transposed.shape, generator=torch.Generator().manual_seed(seed), dtype=x.dtype)
    lhs = (_conv2d_cropped(y, case, weight) * x).sum()
    rhs = (y * transposed).sum()
    torch.testing.assert_close(lhs, rhs, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("seed", range(0, N_RANDOM_CASES, 4))
def test_is_gradient_of_conv2d_wrt_its_input(seed):
    """d/dy <conv2d(y, W), x> = conv_transpose2d(x, W): backprop through conv2d is this op."""
    case = CASES[seed]
    x, weight, _ = case.tensors(seed)
    transposed = reference_conv_transpose2d(x, weight, **case.kwargs())
    y = torch.zeros(transposed.shape, dtype=x.dtype, requires_grad=True)
    (grad_y,) = torch.autograd.grad(_conv2d_cropped(y, case, weight), y, x)
    torch.testing.assert_close(transposed, grad_y, rtol=1e-10, atol=1e-10)


# Hand-worked example, also worked out in docs/concepts/transposed-convolution.md.
X = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64).reshape(1, 1, 2, 2)
K = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64).reshape(1, 1, 2, 2)
HAND_WORKED = [
    # stride 2: the four scaled kernels 1K, 2K, 3K, 4K sit side by side, no overlap.
    ({"stride": 2}, [[1, 0, 2, 0], [0, 1, 0, 2], [3, 0, 4, 0], [0, 3, 0, 4]]),
    # stride 1: they overlap; only the centre gets two non-zero products, 1*1 + 4*1 = 5.
    ({"stride": 1}, [[1, 2, 0], [3, 5, 2], [0, 3, 4]]),
    # stride 2, padding 1: the 4x4 result above loses its outer ring.
    ({"stride": 2, "padding": 1}, [[1, 0], [0, 4]]),
    # stride 2, padding 1, output_padding 1: one row and column come back at the bottom/right.
    ({"stride": 2, "padding": 1, "output_padding": 1}, [[1, 0, 2], [0, 4, 0], [3, 0, 4]]),
    # bias is added to every output value.
    (
        {"stride": 1, "bias": torch.tensor([10.0], dtype=torch.float64)},
        [[11, 12, 10], [13, 15, 12], [10, 13, 14]],
    ),
]


@pytest.mark.parametrize(("kwargs", "expected"), HAND_WORKED)
def test_hand_worked_example(kwargs, expected):
    actual = reference_conv_transpose2d(X, K, **kwargs)
    torch.testing.assert_close(actual[0, 0], torch.tensor(expected, dtype=torch.float64))


def test_float32_and_int_or_pair_arguments_agree():
    g = torch.Generator().manual_seed(7)
    x, weight = torch.randn(2, 3, 4, 5, generator=g), torch.randn(3, 2, 3, 2, generator=g)
    as_ints = reference_conv_transpose2d(x, weight, stride=2, padding=1, output_padding=1)
    as_pairs = reference_conv_transpose2d(
        x, weight, stride=(2, 2), padding=[1, 1], output_padding=(1, 1)
    )
    expected = F.conv_transpose2d(x, weight, stride=2, padding=1, output_padding=1)
    assert as_ints.dtype == torch.float32
    torch.testing.assert_close(as_ints, expected)
    torch.testing.assert_close(as_pairs, expected)


def _valid_settings():
    """(in, kernel, stride, padding, dilation) over a small grid, with the valid output paddings."""
    for n, k, s, p, d in itertools.product(range(1, 5), range(1, 4), range(1, 4), range(3), (1, 2)):
        yield n, k, s, p, d, range(max(s, d))


def _torch_size(n: int, k: int, s: int, p: int, op: int, d: int) -> int | None:
    """Output height torch gives, or None where torch rejects the settings."""
    try:
        out = F.conv_transpose2d(
            torch.zeros(1, 1, n, 1),
            torch.zeros(1, 1, k, 1),
            stride=(s, 1),
            padding=(p, 0),
            output_padding=(op, 0),
            dilation=(d, 1),
        )
    except RuntimeError:
        return None
    return out.shape[2]


def test_output_size_matches_torch():
    checked = 0
    for n, k, s, p, d, ops in _valid_settings():
        for op in ops:
            expected = _torch_size(n, k, s, p, op, d)
            if expected is None:
                with pytest.raises(ShapeError):
                    conv_transpose2d_output_size(n, k, s, p, op, d)
            else:
                assert conv_transpose2d_output_size(n, k, s, p, op, d) == expected
                checked += 1
    assert checked > 400  # most of the grid is valid; the rest must raise


def test_output_padding_for_reaches_exactly_the_sizes_torch_can():
    for n, k, s, p, d, ops in _valid_settings():
        reachable = {_torch_size(n, k, s, p, op, d) for op in ops} - {None}
        for target in range(-1, max(reachable, default=0) + 3):
            if target in reachable:
                op = output_padding_for(n, target, k, s, p, d)
                assert _torch_size(n, k, s, p, op, d) == target
            else:
                with pytest.raises(ShapeError):
                    output_padding_for(n, target, k, s, p, d)


def test_output_padding_for_typical_decoder_steps():
    # 7 -> 14 (Fashion-MNIST decoder, kernel 3, stride 2, padding 1) needs output_padding 1.
    assert output_padding_for(7, 14, kernel=3, stride=2, padding=1) == 1
    assert output_padding_for(7, 13, kernel=3, stride=2, padding=1) == 0
    # kernel 4, stride 2, padding 1 doubles exactly.
    assert output_padding_for(7, 14, kernel=4, stride=2, padding=1) == 0


X_ERR = torch.zeros(1, 2, 3, 3)
W_ERR = torch.zeros(2, 1, 2, 2)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "words"),
    [
        ((X_ERR, W_ERR), {"stride": 1, "output_padding": 1}, ConfigError, "output_padding"),
        ((X_ERR, W_ERR), {"stride": 2, "dilation": 2, "output_padding": 2}, ConfigError, "smaller"),
        ((X_ERR, W_ERR), {"stride": 0}, ConfigError, "stride"),
        ((X_ERR, W_ERR), {"dilation": (1, 0)}, ConfigError, "dilation"),
        ((X_ERR, W_ERR), {"padding": -1}, ConfigError, "padding"),
        ((X_ERR, W_ERR), {"stride": (1, 2, 3)}, ConfigError, "pair"),
        ((X_ERR, W_ERR), {"stride": 1.5}, ConfigError, "stride"),
        ((X_ERR, W_ERR), {"groups": 0}, ConfigError, "groups"),
        ((X_ERR, W_ERR), {"groups": 3}, ShapeError, "divisible"),
        ((X_ERR, W_ERR), {"padding": 2}, ShapeError, "reduce padding"),
        ((X_ERR[0], W_ERR), {}, ShapeError, "(N, C_in, H, W)"),
        ((X_ERR, torch.zeros(3, 1, 2, 2)), {}, ShapeError, "C_in"),
        ((X_ERR, W_ERR, torch.zeros(2)), {}, ShapeError, "bias"),
    ],
)
def test_errors_name_the_problem(args, kwargs, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        reference_conv_transpose2d(*args, **kwargs)


def test_size_helper_errors():
    with pytest.raises(ShapeError, match="input size"):
        conv_transpose2d_output_size(0, 3)
    with pytest.raises(ShapeError, match="kernel"):
        conv_transpose2d_output_size(4, 0)
    with pytest.raises(ConfigError, match="output_padding"):
        conv_transpose2d_output_size(7, 3, stride=2, padding=1, output_padding=2)
    with pytest.raises(ShapeError, match=r"13\.\.14"):
        output_padding_for(7, 15, kernel=3, stride=2, padding=1)


@pytest.mark.parametrize("seed", range(0, N_RANDOM_CASES, 2))
def test_equals_zero_insertion_then_convolution_with_flipped_kernel(seed):
    """Dumoulin & Visin (2016), sec. 4: insert stride-1 zeros between inputs, pad by
    dilation*(k-1) - padding (plus output_padding at the bottom/right), then convolve with stride 1
    using the kernel flipped in space and with in/out channels swapped."""
    case = CASES[seed]
    x, weight, bias = case.tensors(seed)
    (sh, sw), (ph, pw) = case.stride, case.padding
    (oph, opw), (dh, dw) = case.output_padding, case.dilation
    n, c_in, h, w = x.shape
    spread = x.new_zeros(n, c_in, (h - 1) * sh + 1, (w - 1) * sw + 1)
    spread[:, :, ::sh, ::sw] = x
    eh, ew = dh * (case.kernel[0] - 1) - ph, dw * (case.kernel[1] - 1) - pw
    spread = F.pad(spread, (ew, ew + opw, eh, eh + oph))  # negative padding crops
    g = case.groups
    flipped = weight.reshape(g, c_in // g, -1, *case.kernel).transpose(
        1, 2
    )  # (G, Cout/G, Cin/G, ...)
    flipped = flipped.reshape(-1, c_in // g, *case.kernel).flip(-1, -2)  # (C_out, C_in/G, kH, kW)
    expected = F.conv2d(spread, flipped, bias, dilation=case.dilation, groups=g)
    actual = reference_conv_transpose2d(x, weight, bias, **case.kwargs())
    torch.testing.assert_close(actual, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    ("kernel", "counts"),
    [
        # kernel 3, stride 2 over 4 inputs: placements cover 0-2, 2-4, 4-6, 6-8 (by hand).
        (3, [1, 1, 2, 1, 2, 1, 2, 1, 1]),
        # kernel 4, stride 2: placements cover 0-3, 2-5, 4-7, 6-9; the interior is even.
        (4, [1, 1, 2, 2, 2, 2, 2, 2, 1, 1]),
    ],
)
def test_overlap_counts_behind_checkerboard_artifacts(kernel, counts):
    """All-ones input and kernel: each output counts the products summed into it."""
    ones = reference_conv_transpose2d(
        torch.ones(1, 1, 4, 4, dtype=torch.float64),
        torch.ones(1, 1, kernel, kernel, dtype=torch.float64),
        stride=2,
    )
    per_axis = torch.tensor(counts, dtype=torch.float64)
    torch.testing.assert_close(ones[0, 0], torch.outer(per_axis, per_axis))
