"""Gradient averaging overlapped with backward: how parameters are cut into buckets, that
buckets leave while backward still runs, that the averages equal the mean of every process's
gradient, and that a parameter without a gradient on one process never leaves the processes
waiting for each other (buckets are sent in the same order everywhere)."""

import torch
from torch import nn

from latentforge.training.gradient_sync import GradientAverager, _buckets, resolve_bucket_mb
from tests.training.processes import load_rank_tensors, run_processes, save_rank_tensors


def _params(*sizes, dtype=torch.float32):
    return [nn.Parameter(torch.zeros(n, dtype=dtype)) for n in sizes]


def test_buckets_run_backwards_and_stay_under_the_size_limit():
    a, b, c, d = _params(100, 100, 100, 300)  # 400, 400, 400 and 1200 bytes
    buckets = _buckets([a, b, c, d], bucket_mb=1000 / 2**20)  # 1000 bytes
    assert [[id(p) for p in bucket] for bucket in buckets] == [[id(d)], [id(c), id(b)], [id(a)]]
    # a parameter larger than the limit gets a bucket of its own
    assert [len(bucket) for bucket in _buckets([d], 100 / 2**20)] == [1]
    # 0: one bucket with everything (the flat all-reduce)
    assert [len(bucket) for bucket in _buckets([a, b, c, d], 0.0)] == [4]


def test_buckets_never_mix_dtypes():
    a, b = _params(4, 4)
    (h,) = _params(4, dtype=torch.float64)
    buckets = _buckets([a, h, b], bucket_mb=1.0)
    assert [[p.dtype for p in bucket] for bucket in buckets] == [
        [torch.float32],
        [torch.float64],
        [torch.float32],
    ]


def _net() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(6, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 3)
    )


def _inputs(rank: int) -> torch.Tensor:
    return torch.randn(5, 6, generator=torch.Generator().manual_seed(100 + rank))


def _local_gradients(rank: int) -> dict[str, torch.Tensor]:
    net = _net()
    net(_inputs(rank)).square().sum().backward()
    return {name: p.grad.clone() for name, p in net.named_parameters()}


def _overlapped(rank: int, world_size: int, out: str) -> None:
    net = _net()
    averager = GradientAverager(list(net.parameters()), world_size, bucket_mb=1e-9)
    sent_before_backward_ended = []
    x = _inputs(rank)
    for _ in range(2):  # a second pass reuses the hooks
        net.zero_grad(set_to_none=True)
        averager.begin()
        first = net[0](x)
        # the gradient of the first layer's output comes before that layer's own weight
        # gradients, and after the later layers': their buckets must be on their way by then
        first.register_hook(lambda grad: sent_before_backward_ended.append(averager.buckets_sent))
        net[1:](first).square().sum().backward()
        averager.finish()
    grads = {name: p.grad.contiguous() for name, p in net.named_parameters()}
    grads["sent_before_backward_ended"] = torch.tensor(sent_before_backward_ended)
    save_rank_tensors(out, rank, grads)


def test_overlapped_average_equals_the_mean_and_buckets_leave_during_backward(tmp_path):
    run_processes(_overlapped, 2, str(tmp_path), timeout=90)
    local = [_local_gradients(rank) for rank in range(2)]
    buckets = len(list(_net().parameters()))  # one bucket per parameter at this size
    for got in load_rank_tensors(tmp_path, 2):
        for name in local[0]:
            assert torch.allclose(got[name], (local[0][name] + local[1][name]) / 2, atol=1e-6)
        sent = got["sent_before_backward_ended"].tolist()
        # the later layers' buckets (2 to 4 of them) left early; the first layer's 2 had not
        assert all(2 <= n <= buckets - 2 for n in sent), sent


def _uneven(rank: int, world_size: int, out: str) -> None:
    torch.manual_seed(0)
    first, middle, last, never = (nn.Parameter(torch.randn(3)) for _ in range(4))
    # buckets run last -> first; rank 1 gives the middle one no gradient, so its later buckets
    # wait for finish() while rank 0 sends everything during backward
    averager = GradientAverager([first, middle, last, never], world_size, bucket_mb=1e-9)
    averager.begin()
    loss = (first * (rank + 1)).sum() + (last * 3).sum()
    if rank == 0:
        loss = loss + (middle * 5).sum()
    loss.backward()
    averager.finish()
    assert never.grad is None
    save_rank_tensors(out, rank, {"first": first.grad, "middle": middle.grad, "last": last.grad})


def test_a_parameter_without_gradient_on_one_process_keeps_buckets_paired(tmp_path):
    run_processes(_uneven, 2, str(tmp_path), timeout=90)
    for got in load_rank_tensors(tmp_path, 2):
        assert torch.allclose(got["first"], torch.full((3,), (1 + 2) / 2))
        assert torch.allclose(got["middle"], torch.full((3,), 5 / 2))
        assert torch.allclose(got["last"], torch.full((3,), 3.0))


def test_closed_averager_no_longer_listens():
    (p,) = _params(3)
    averager = GradientAverager([p], world_size=2, bucket_mb=1.0)
    assert p._post_accumulate_grad_hooks
    averager.close()
    assert not p._post_accumulate_grad_hooks


def test_bucket_size_defaults_by_device_and_yields_to_the_option():
    assert resolve_bucket_mb(None, torch.device("cpu")) == 1.0
    assert resolve_bucket_mb(None, torch.device("cuda", 0)) == 25.0  # DistributedDataParallel's
    assert resolve_bucket_mb(0.0, torch.device("cuda", 0)) == 0.0
    assert resolve_bucket_mb(4.0, torch.device("cpu")) == 4.0
