import math
import os
import signal
import time

import pytest
import torch

from latentforge.errors import ConfigError
from latentforge.steps.train_config import TrainConfig
from latentforge.training.ema import EMA
from latentforge.training.precision import autocast
from latentforge.training.schedule import lr_factor
from latentforge.training.stopping import stop_on_signals


def test_lr_schedules_follow_their_formulas():
    assert lr_factor("constant", 50, 100) == 1.0
    assert lr_factor("cosine", 0, 100) == pytest.approx(1.0)
    assert lr_factor("cosine", 50, 100) == pytest.approx(0.5)
    assert lr_factor("cosine", 25, 100) == pytest.approx(0.5 * (1 + math.cos(math.pi / 4)))
    assert lr_factor("linear", 75, 100) == pytest.approx(0.25)
    assert lr_factor("linear", 4, 100, warmup_steps=10) == pytest.approx(0.5)
    assert lr_factor("linear", 55, 100, warmup_steps=10) == pytest.approx(0.5)


def test_ema_is_the_exponential_average_by_hand():
    module = torch.nn.Linear(1, 1, bias=False)
    module.weight.data.fill_(1.0)
    ema = EMA(module, decay=0.9)
    module.weight.data.fill_(3.0)
    ema.update(module)
    assert ema.state_dict()["weight"].item() == pytest.approx(0.9 * 1.0 + 0.1 * 3.0)
    module.weight.data.fill_(0.0)
    ema.update(module)
    assert ema.state_dict()["weight"].item() == pytest.approx(0.9 * 1.2)


def test_fp16_on_cpu_is_refused_with_the_fix():
    with pytest.raises(ConfigError, match="use --precision bf16"):
        autocast("fp16", torch.device("cpu"))


def test_bf16_autocast_runs_matmuls_in_bf16_on_cpu():
    with autocast("bf16", torch.device("cpu")):
        out = torch.nn.Linear(4, 4)(torch.randn(2, 4))
    assert out.dtype == torch.bfloat16


@pytest.mark.parametrize(
    "changes,flag",
    [
        ({"epochs": 0}, "--epochs"),
        ({"batch_size": 0}, "--batch-size"),
        ({"lr": 0.0}, "--lr"),
        ({"device": "tpu"}, "--device"),
        ({"precision": "fp8"}, "--precision"),
        ({"grad_clip": -1.0}, "--grad-clip"),
        ({"ema_decay": 1.0}, "--ema-decay"),
        ({"lr_schedule": "step"}, "--lr-schedule"),
        ({"max_steps": 0}, "--max-steps"),
    ],
)
def test_bad_training_options_name_the_flag(changes, flag):
    with pytest.raises(ConfigError, match=flag):
        TrainConfig(**changes)


def _deliver(signum: int) -> None:
    """Send ``signum`` to this process and let Python run its handler."""
    os.kill(os.getpid(), signum)
    time.sleep(0.05)


def test_one_process_stops_on_the_first_ctrl_c_and_raises_on_the_second():
    asked = []
    with (
        pytest.raises(KeyboardInterrupt),
        stop_on_signals(asked.append, distributed=False),
    ):
        _deliver(signal.SIGINT)
        assert asked == [signal.SIGINT]
        _deliver(signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_one_process_stops_on_the_first_sigterm_and_lets_the_second_end_it():
    asked, unhandled = [], []

    def guard(signum, frame):  # stands in for the default action, which would end pytest
        unhandled.append(signum)

    before = signal.signal(signal.SIGTERM, guard)
    try:
        with stop_on_signals(asked.append, distributed=False):
            _deliver(signal.SIGTERM)
            # the next SIGTERM would end the process at once (the default action)
            assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        assert (asked, unhandled) == ([signal.SIGTERM], [])
        assert signal.getsignal(signal.SIGTERM) is guard  # handlers restored
    finally:
        signal.signal(signal.SIGTERM, before)


def test_under_torchrun_sigterm_stops_too_and_repeated_signals_are_ignored():
    asked = []
    before = signal.getsignal(signal.SIGTERM)
    try:
        with stop_on_signals(asked.append, distributed=True):
            _deliver(signal.SIGINT)  # from the terminal
            _deliver(signal.SIGINT)  # again from torchrun: no KeyboardInterrupt
            _deliver(signal.SIGTERM)
    except KeyboardInterrupt:
        pytest.fail("a repeated SIGINT under torchrun raised KeyboardInterrupt")
    assert asked == [signal.SIGINT, signal.SIGINT, signal.SIGTERM]
    assert signal.getsignal(signal.SIGTERM) is before  # handlers restored
