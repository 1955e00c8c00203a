"""A plain reference 2-D transposed convolution, written so its three steps can be read.

A transposed convolution upsamples. For every input position ``(i, j)``:

1. **multiply** the input value ``x[i, j]`` by the whole kernel ``W``;
2. **place** the product in a larger "full" output at offset ``(i * stride, j * stride)``
   (with dilation ``d`` the kernel taps land ``d`` apart);
3. **sum** wherever placed products overlap.

Then ``padding`` rows/columns are cropped from each side (``output_padding`` gives back that many
on the bottom/right only) and the bias is added. Per spatial dimension the output size is

    out = (in - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1.

It is the adjoint (the gradient with respect to the input) of ``conv2d`` with the same weight:
``<conv2d(y, W), x> = <y, conv_transpose2d(x, W)>`` (Dumoulin & Visin 2016,
https://arxiv.org/abs/1603.07285). It matches ``torch.nn.functional.conv_transpose2d``
(argument meaning and weight layout ``(C_in, C_out / groups, kH, kW)``) but loops over input
positions: it is for teaching and testing on small inputs, not for training.
See ``docs/concepts/transposed-convolution.md``.
"""

from __future__ import annotations

import torch

from latentforge.errors import ConfigError, ShapeError

IntOrPair = int | tuple[int, int]


def _pair(value: IntOrPair, name: str) -> tuple[int, int]:
    """``value`` as ``(height, width)``; an int is used for both."""
    pair = (value, value) if isinstance(value, int) else value
    if (
        not isinstance(pair, tuple | list)
        or len(pair) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in pair)
    ):
        raise ConfigError(f"{name} must be an int or a pair of ints (height, width), got {value!r}")
    return pair  # type: ignore[return-value]


def _check_hyperparameters(
    kernel: int, stride: int, padding: int, output_padding: int, dilation: int
) -> None:
    """Fail early on values torch would reject, with a message that says how to fix them."""
    if kernel < 1:
        raise ShapeError(f"kernel size must be at least 1, got {kernel}")
    if stride < 1 or dilation < 1:
        raise ConfigError(f"stride and dilation must be at least 1, got {stride} and {dilation}")
    if padding < 0 or output_padding < 0:
        raise ConfigError(
            f"padding and output_padding must be >= 0, got {padding} and {output_padding}"
        )
    if output_padding >= max(stride, dilation):
        raise ConfigError(
            f"output_padding={output_padding} must be smaller than stride ({stride}) or dilation "
            f"({dilation}); use a smaller output_padding or a larger stride"
        )


def _size_without_output_padding(
    in_size: int, kernel: int, stride: int, padding: int, output_padding: int, dilation: int
) -> int:
    """``(in - 1) * stride - 2 * padding + dilation * (kernel - 1) + 1``, after checking inputs."""
    _check_hyperparameters(kernel, stride, padding, output_padding, dilation)
    if in_size < 1:
        raise ShapeError(f"input size must be at least 1, got {in_size}")
    return (in_size - 1) * stride - 2 * padding + dilation * (kernel - 1) + 1


def conv_transpose2d_output_size(
    in_size: int,
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """Output length of a transposed convolution along one spatial dimension.

    ``out = (in - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1``.
    Raises :class:`ShapeError` when the result is not positive.
    """
    args = (in_size, kernel, stride, padding, output_padding, dilation)
    out = _size_without_output_padding(*args) + output_padding
    if out < 1:
        raise ShapeError(
            f"transposed convolution output size would be {out} (input {in_size}, kernel "
            f"{kernel}, stride {stride}, padding {padding}); reduce padding"
        )
    return out


def output_padding_for(
    in_size: int,
    target_size: int,
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
) -> int:
    """The ``output_padding`` that makes a transposed convolution output exactly ``target_size``.

    ``output_padding = target - [(in - 1) * stride - 2 * padding + dilation * (kernel - 1) + 1]``,
    valid only in ``0 <= output_padding < max(stride, dilation)``; otherwise :class:`ShapeError`.
    """
    smallest = _size_without_output_padding(in_size, kernel, stride, padding, 0, dilation)
    output_padding = target_size - smallest
    if target_size < 1 or not 0 <= output_padding < max(stride, dilation):
        largest = smallest + max(stride, dilation) - 1
        reachable = f"sizes {max(smallest, 1)}..{largest}" if largest >= 1 else "no size >= 1"
        raise ShapeError(
            f"a transposed convolution (input {in_size}, kernel {kernel}, stride {stride}, "
            f"padding {padding}, dilation {dilation}) can output {reachable} only, not "
            f"{target_size}; change the kernel, stride or padding"
        )
    return output_padding


def transposed_padding_for(
    in_size: int, target_size: int, kernel: int, stride: int = 2
) -> tuple[int, int]:
    """The smallest ``padding`` (with its ``output_padding``, see :func:`output_padding_for`)
    for which a transposed convolution maps ``in_size`` to ``target_size``.

    Kernel 3, stride 2 needs padding 1 for every target 2 * in - 1 or 2 * in; kernel 4
    (DCGAN's choice, a multiple of the stride: no checkerboard from uneven overlap) needs
    padding 1 for 2 * in and padding 2 for 2 * in - 1.
    """
    for padding in range(kernel):
        try:
            return padding, output_padding_for(in_size, target_size, kernel, stride, padding)
        except ShapeError:
            continue
    raise ShapeError(
        f"no padding lets a transposed convolution (kernel {kernel}, stride {stride}) map size "
        f"{in_size} to {target_size}; change the kernel or the stride"
    )


def _check_tensors(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, groups: int
) -> None:
    if x.dim() != 4 or weight.dim() != 4:
        raise ShapeError(
            f"x must be (N, C_in, H, W) and weight (C_in, C_out/groups, kH, kW); got x "
            f"{tuple(x.shape)} and weight {tuple(weight.shape)}"
        )
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ConfigError(f"groups must be a positive int, got {groups!r}")
    c_in = x.shape[1]
    if weight.shape[0] != c_in or c_in % groups != 0:
        raise ShapeError(
            f"x has {c_in} channels and weight {tuple(weight.shape)} starts with "
            f"{weight.shape[0]}; both must equal C_in, and C_in must be divisible by "
            f"groups={groups}"
        )
    c_out = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (c_out,):
        raise ShapeError(f"bias must have shape ({c_out},) = (C_out,), got {tuple(bias.shape)}")


def reference_conv_transpose2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    output_padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    groups: int = 1,
) -> torch.Tensor:
    """Transposed convolution by multiply, place, sum; same contract as ``F.conv_transpose2d``.

    ``full[n, o, i*s + a*d, j*s + b*d] += sum_c x[n, c, i, j] * W[c, o, a, b]`` (``c`` over the
    input channels of ``o``'s group), then ``out = full[p : H_full + op - p]`` per dimension,
    plus ``bias[o]``. Shapes: x ``(N, C_in, H, W)``, weight ``(C_in, C_out/groups, kH, kW)``,
    result ``(N, C_out, H_out, W_out)`` with sizes from :func:`conv_transpose2d_output_size`.
    Differentiable by autograd. Loops over the ``H * W`` input positions: small inputs only.
    """
    _check_tensors(x, weight, bias, groups)
    (sh, sw), (ph, pw) = _pair(stride, "stride"), _pair(padding, "padding")
    (oph, opw), (dh, dw) = _pair(output_padding, "output_padding"), _pair(dilation, "dilation")
    n, c_in, h, w = x.shape
    _, c_out_per_group, kh, kw = weight.shape
    out_h = conv_transpose2d_output_size(h, kh, sh, ph, oph, dh)
    out_w = conv_transpose2d_output_size(w, kw, sw, pw, opw, dw)

    x_grouped = x.reshape(n, groups, c_in // groups, h, w)  # (N, G, C_in/G, H, W)
    w_grouped = weight.reshape(groups, c_in // groups, c_out_per_group, kh, kw)
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1  # extent of one dilated kernel
    # "Full" output before cropping, with output_padding extra rows/columns at the bottom/right.
    full_h, full_w = (h - 1) * sh + span_h + oph, (w - 1) * sw + span_w + opw
    dtype = torch.result_type(x, weight)
    full = torch.zeros(n, groups, c_out_per_group, full_h, full_w, dtype=dtype, device=x.device)

    for i in range(h):
        for j in range(w):
            # Step 1, multiply: every input value scales the kernel.
            # (N, G, C_in/G, 1, 1, 1) * (G, C_in/G, C_out/G, kH, kW)
            #   -> (N, G, C_in/G, C_out/G, kH, kW)
            scaled_kernels = x_grouped[:, :, :, i, j, None, None, None] * w_grouped
            # Step 2, place: at offset (i * stride, j * stride), taps `dilation` apart.
            rows = slice(i * sh, i * sh + span_h, dh)
            cols = slice(j * sw, j * sw + span_w, dw)
            # Step 3, sum the overlaps: add onto what earlier positions placed there. The input
            # channels of one group land on the same place, so they are summed too.
            full[:, :, :, rows, cols] += scaled_kernels.sum(dim=2)

    full = full.reshape(n, groups * c_out_per_group, full_h, full_w)  # (N, C_out, H_full, W_full)
    out = full[:, :, ph : ph + out_h, pw : pw + out_w]  # crop `padding` from every side
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out
