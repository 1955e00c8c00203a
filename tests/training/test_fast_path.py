"""The fast path: per-optimiser loss scaling, channels-last, optimiser kernels, compilation
(and its fallback), the data-wait share; none of them changes what the model learns."""

import time

import pytest
import torch

from latentforge.errors import TrainingDiverged
from latentforge.steps.health import DIVERGENCE
from latentforge.steps.phases import LossOutput
from latentforge.training import precision
from latentforge.training.distributed import DistContext
from latentforge.training.engine import Trainer
from latentforge.training.fast_path import CompiledLoss, optimizer_kernel, use_channels_last
from latentforge.training.run import build_for_data
from latentforge.utils.run_logs import read_metrics, read_warnings
from latentforge.utils.seeding import seed_everything

SMALL_VAE = {"latent_dim": 4, "hidden_channels": [8, 16]}
SMALL_GAN = {"z_dim": 8, "g_channels": [8, 16], "d_channels": [8, 16]}


def trainer_for(bundle, cfg, run_dir, model_type="vae", options=SMALL_VAE):
    seed_everything(cfg.seed)
    model = build_for_data(model_type, options, bundle)
    return Trainer(model, bundle, cfg, run_dir, DistContext())


def weights_after(bundle, cfg, run_dir, **changes):
    trainer = trainer_for(bundle, cfg.replace(max_steps=4, **changes), run_dir)
    trainer.fit()
    return {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}


def fp16_gan_run(bundle, cfg, run_dir, overflow_at=None):
    """Train the small DCGAN in fp16; the discriminator's loss overflows at call
    ``overflow_at`` (finite in fp32, but times the loss scale its gradient is inf)."""
    trainer = trainer_for(bundle, cfg, run_dir, "dcgan", SMALL_GAN)
    discriminator = trainer.runners[0]
    real_loss = discriminator.phase.loss
    calls = {"n": 0}

    def loss(batch):
        calls["n"] += 1
        out = real_loss(batch)
        return LossOutput(out.loss.float() * 1e36, out.logs) if calls["n"] == overflow_at else out

    discriminator.phase.loss = loss
    trainer.fit()
    return trainer


def test_a_discriminator_overflow_lowers_only_the_discriminator_loss_scale(
    tmp_path, tiny_bundle, fast_train, monkeypatch
):
    # fp16 autocast runs on the CPU too (PyTorch), it is only not offered there: allow it here
    monkeypatch.setattr(precision, "FP16_DEVICES", ("cuda", "cpu"))
    cfg = fast_train.replace(precision="fp16", max_steps=3)
    control = fp16_gan_run(tiny_bundle, cfg, tmp_path / "control")
    planted = fp16_gan_run(tiny_bundle, cfg, tmp_path / "planted", overflow_at=2)
    assert [r.phase.name for r in planted.runners] == ["discriminator", "generator"]
    (d_control, g_control), (d_planted, g_planted) = control.runners, planted.runners
    assert d_planted.scaler is not g_planted.scaler
    assert d_planted.scaler.get_scale() == d_control.scaler.get_scale() * 0.5  # halved once
    assert g_planted.scaler.get_scale() == g_control.scaler.get_scale()
    state = planted.training_state()["scalers"]
    assert [s["scale"] for s in state] == [r.scaler.get_scale() for r in planted.runners]


def plant(trainer, phase: int, at: int, change) -> None:
    """Apply ``change`` to the ``LossOutput`` of call ``at`` of phase number ``phase``."""
    runner = trainer.runners[phase]
    real_loss = runner.phase.loss
    calls = {"n": 0}

    def loss(batch):
        calls["n"] += 1
        out = real_loss(batch)
        return change(out) if calls["n"] == at else out

    runner.phase.loss = loss


def gradient_overflow(out: LossOutput) -> LossOutput:
    """The same loss value, with gradients 1e36 times larger: times the loss scale, inf."""
    big = out.loss.float() * 1e36
    return LossOutput(out.loss + (big - big.detach()), out.logs)


def skipped_steps(run_dir) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in read_metrics(run_dir):
        for key, value in record.items():
            if key.endswith("/skipped_steps"):
                counts[key] = counts.get(key, 0) + value
    return counts


def test_an_fp16_step_the_scaler_skips_is_counted_not_divergence(
    tmp_path, tiny_bundle, fast_train, monkeypatch
):
    monkeypatch.setattr(precision, "FP16_DEVICES", ("cuda", "cpu"))
    cfg = fast_train.replace(precision="fp16", max_steps=4)
    control = trainer_for(tiny_bundle, cfg, tmp_path / "control", "dcgan", SMALL_GAN)
    control.fit()
    planted = trainer_for(tiny_bundle, cfg, tmp_path / "planted", "dcgan", SMALL_GAN)
    plant(planted, phase=1, at=3, change=gradient_overflow)  # the generator's 3rd step
    planted.fit()
    G = "train/generator/skipped_steps"
    assert skipped_steps(tmp_path / "planted")[G] == skipped_steps(tmp_path / "control")[G] + 1
    assert planted.runners[1].scaler.get_scale() == control.runners[1].scaler.get_scale() / 2
    records = [r for r in read_metrics(tmp_path / "planted") if "images_per_s" in r]
    assert all(isinstance(v, int | float) for r in records for v in r.values())  # no "nan"
    assert "train/generator/grad_norm" in records[-1]  # steps not skipped still log it
    assert read_warnings(tmp_path / "planted") == []


def test_a_real_non_finite_number_in_fp16_is_still_divergence(
    tmp_path, tiny_bundle, fast_train, monkeypatch
):
    monkeypatch.setattr(precision, "FP16_DEVICES", ("cuda", "cpu"))
    cfg = fast_train.replace(precision="fp16", max_steps=4)
    trainer = trainer_for(tiny_bundle, cfg, tmp_path / "loss", "dcgan", SMALL_GAN)
    plant(trainer, 1, 3, lambda out: LossOutput(out.loss * float("inf"), out.logs))
    with pytest.raises(TrainingDiverged, match="generator loss became"):
        trainer.fit()
    trainer = trainer_for(tiny_bundle, cfg, tmp_path / "logged", "dcgan", SMALL_GAN)
    nan_scale = {"score_scale": torch.tensor(float("nan"))}
    plant(trainer, 0, 3, lambda out: LossOutput(out.loss, {**out.logs, **nan_scale}))
    trainer.fit()
    assert [w["kind"] for w in read_warnings(tmp_path / "logged")] == [DIVERGENCE]


def test_each_scaler_comes_back_on_resume(tmp_path, tiny_bundle, fast_train, monkeypatch):
    monkeypatch.setattr(precision, "FP16_DEVICES", ("cuda", "cpu"))
    cfg = fast_train.replace(precision="fp16", max_steps=2)
    trainer = trainer_for(tiny_bundle, cfg, tmp_path, "dcgan", SMALL_GAN)
    for runner, scale in zip(trainer.runners, (123.0, 456.0)):
        runner.scaler.scale(torch.ones(()))  # the scaler starts its state lazily
        runner.scaler.update(scale)
    checkpoint = trainer.save()
    again = trainer_for(tiny_bundle, cfg, tmp_path, "dcgan", SMALL_GAN)
    again.resume_from(checkpoint)
    assert [r.scaler.get_scale() for r in again.runners] == [123.0, 456.0]


def test_channels_last_is_on_by_default_for_convolutional_models_only(
    tmp_path, tiny_bundle, fast_train
):
    trainer = trainer_for(tiny_bundle, fast_train.replace(max_steps=1), tmp_path)
    conv = next(p for p in trainer.model.parameters() if p.dim() == 4 and p.shape[1] > 1)
    assert conv.is_contiguous(memory_format=torch.channels_last)
    assert not conv.is_contiguous()  # really NHWC, not a layout-free shape
    batch = trainer._next_batch(iter([{"images": torch.rand(2, 3, 4, 4)}]))
    assert batch["images"].is_contiguous(memory_format=torch.channels_last)
    off = trainer_for(tiny_bundle, fast_train.replace(channels_last=False), tmp_path / "off")
    assert all(p.is_contiguous() for p in off.model.parameters())
    linear_only = torch.nn.Sequential(torch.nn.Linear(3, 3))
    assert not use_channels_last(None, linear_only, torch.device("cpu"))
    assert use_channels_last(True, linear_only, torch.device("cpu"))


def test_optimizer_kernel_auto_is_fused_where_pytorch_has_one(tmp_path, tiny_bundle, fast_train):
    trainer = trainer_for(tiny_bundle, fast_train, tmp_path)
    assert trainer.runners[0].optimizer.defaults["fused"] is True
    assert optimizer_kernel("auto", "rmsprop") == "foreach"
    assert optimizer_kernel("fused", "rmsprop") == "foreach"
    assert optimizer_kernel("loop", "adam") == "loop"
    loop = trainer_for(tiny_bundle, fast_train.replace(optimizer_kernel="loop"), tmp_path / "l")
    assert not loop.runners[0].optimizer.defaults["fused"]
    assert loop.runners[0].optimizer.defaults["foreach"] is False


@pytest.mark.parametrize(
    "saved,resumed", [("fused", "loop"), ("loop", "fused"), ("fused", "foreach")]
)
def test_a_checkpoint_resumes_with_another_optimizer_kernel(
    tmp_path, tiny_bundle, fast_train, saved, resumed
):
    cfg = fast_train.replace(channels_last=True)
    unbroken = weights_after(tiny_bundle, cfg, tmp_path / "unbroken", optimizer_kernel=saved)
    first = trainer_for(tiny_bundle, cfg.replace(optimizer_kernel=saved, max_steps=2), tmp_path)
    first.fit()
    checkpoint = first.save()
    again = trainer_for(tiny_bundle, cfg.replace(optimizer_kernel=resumed, max_steps=4), tmp_path)
    fresh_groups = [dict(g) for g in again.runners[0].optimizer.param_groups]
    again.resume_from(checkpoint)
    optimizer = again.runners[0].optimizer
    for group, fresh in zip(optimizer.param_groups, fresh_groups):
        assert (group["fused"], group["foreach"]) == (fresh["fused"], fresh["foreach"])
    before = first.runners[0].optimizer
    for param, old in zip(optimizer.param_groups[0]["params"], before.param_groups[0]["params"]):
        state, saved_state = optimizer.state[param], before.state[old]
        assert torch.equal(state["exp_avg"], saved_state["exp_avg"])
        assert state["exp_avg"].is_contiguous(memory_format=torch.channels_last) == (
            param.is_contiguous(memory_format=torch.channels_last)
        )
        assert float(state["step"]) == 2.0
        assert state["step"].device == (param.device if resumed == "fused" else torch.device("cpu"))
    again.fit()
    for key, value in again.model.state_dict().items():
        assert torch.allclose(value, unbroken[key], atol=2e-5, rtol=1e-4), key


@pytest.mark.parametrize(
    "changes",
    [{"channels_last": True}, {"optimizer_kernel": "fused"}, {"optimizer_kernel": "foreach"}],
    ids=["channels-last", "fused", "foreach"],
)
def test_fast_options_do_not_change_what_the_model_learns(
    tmp_path, tiny_bundle, fast_train, changes
):
    plain = {"channels_last": False, "optimizer_kernel": "loop"}
    reference = weights_after(tiny_bundle, fast_train, tmp_path / "a", **plain)
    fast = weights_after(tiny_bundle, fast_train, tmp_path / "b", **{**plain, **changes})
    start = trainer_for(tiny_bundle, fast_train, tmp_path / "c").model.state_dict()
    for key in reference:
        assert torch.allclose(reference[key], fast[key], atol=2e-5, rtol=1e-4), key
    # and training did move the weights by much more than that tolerance
    moved = max((reference[k].float() - start[k].float()).abs().max() for k in reference)
    assert moved > 1e-3


def test_compile_reports_its_time_apart_and_matches_eager(
    tmp_path, tiny_bundle, fast_train, monkeypatch
):
    # the eager backend traces with TorchDynamo like the default one, in a fraction of the time
    real_compile = torch.compile
    monkeypatch.setattr(torch, "compile", lambda fn: real_compile(fn, backend="eager"))
    compiled = weights_after(tiny_bundle, fast_train, tmp_path / "c", compile=True)
    eager = weights_after(tiny_bundle, fast_train, tmp_path / "e")
    for key in eager:
        assert torch.allclose(compiled[key], eager[key], atol=1e-5, rtol=1e-4), key
    records = [r for r in read_metrics(tmp_path / "c") if "images_per_s" in r]
    assert records[0]["compile_s"] > 0
    assert all("compile_s" not in r for r in records[1:])


def test_a_failing_compilation_falls_back_to_eager_with_one_warning(
    tmp_path, tiny_bundle, fast_train, monkeypatch
):
    def broken(batch):
        raise RuntimeError("no C++ compiler found\nmore detail")

    monkeypatch.setattr(torch, "compile", lambda fn: broken)
    trainer = trainer_for(tiny_bundle, fast_train.replace(compile=True, max_steps=3), tmp_path)
    with pytest.warns(UserWarning, match="compiling the vae phase failed.*no C\\+\\+ compiler"):
        trainer.fit()
    assert trainer.progress.step == 3
    assert trainer.runners[0].compiled.failed


def test_compiled_loss_errors_after_the_first_call_are_not_swallowed(monkeypatch):
    calls = {"n": 0}

    def flaky(batch):
        calls["n"] += 1
        if calls["n"] > 1:
            raise ValueError("bad batch")
        return LossOutput(torch.zeros(()))

    monkeypatch.setattr(torch, "compile", lambda fn: fn)
    loss = CompiledLoss(flaky, "vae")
    loss({})
    with pytest.raises(ValueError, match="bad batch"):
        loss({})


def test_the_log_reports_the_share_of_time_spent_waiting_for_data(
    tmp_path, tiny_bundle, fast_train
):
    def wait_shares(run_dir, delay):
        trainer = trainer_for(tiny_bundle, fast_train.replace(max_steps=4), run_dir)
        real_next = trainer._next_batch

        def slow_next(batches):
            time.sleep(delay)
            return real_next(batches)

        trainer._next_batch = slow_next
        trainer.fit()
        records = [r for r in read_metrics(run_dir) if "images_per_s" in r]
        # (share, seconds of the window): 2 batches of 64 per window
        return [(r["data_wait_share"], 2 * 64 / r["images_per_s"]) for r in records]

    slowed = wait_shares(tmp_path / "slow", 0.05)
    for share, window_s in slowed:
        assert 0.1 - 0.005 <= share * window_s <= window_s  # at least the two sleeps
    fed = wait_shares(tmp_path / "fed", 0.0)
    assert max(share * window_s for share, window_s in fed) < 0.05


CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
flags\t\t: fpu sse2 avx2 avx512f {extra}
bogomips\t: 4200.00

processor\t: 1
flags\t\t: fpu sse2 avx2 avx512f {extra}
"""


@pytest.mark.parametrize(
    "extra,native",
    [("amx_bf16 amx_tile", True), ("avx512_bf16", True), ("avx512_vnni", False), ("", False)],
)
def test_native_bf16_reads_the_cpu_flags(extra, native):
    cpu = torch.device("cpu")
    assert precision.native_bf16(cpu, CPUINFO.format(extra=extra)) is native
    assert precision.native_bf16(torch.device("meta"), CPUINFO.format(extra=extra)) is False


def test_native_bf16_without_cpuinfo_or_on_a_gpu(tmp_path, monkeypatch):
    cpu = torch.device("cpu")
    assert precision.native_bf16(cpu, "") is False
    assert precision.native_bf16(cpu, "model name\t: a CPU sold with amx_bf16\n") is False
    monkeypatch.setattr(precision, "CPUINFO", tmp_path / "no-cpuinfo")
    assert precision.native_bf16(cpu) is False  # unreadable: not claimed
    (tmp_path / "cpuinfo").write_text(CPUINFO.format(extra="avx512_bf16"))
    monkeypatch.setattr(precision, "CPUINFO", tmp_path / "cpuinfo")
    assert precision.native_bf16(cpu) is True
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    for supported in (True, False):
        monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda s=supported, **kw: s)
        assert precision.native_bf16(torch.device("cuda")) is supported


@pytest.mark.parametrize("native", [True, False])
def test_an_fp32_run_on_a_bf16_device_starts_with_a_hint(
    tmp_path, tiny_bundle, fast_train, monkeypatch, capsys, native
):
    monkeypatch.setattr(precision, "native_bf16", lambda device: native)
    cfg = fast_train.replace(max_steps=1, progress=True)
    trainer_for(tiny_bundle, cfg, tmp_path / "fp32").fit()
    err = capsys.readouterr().err
    assert "training vae on cpu in fp32" in err
    assert ("this CPU computes bf16 natively: --precision bf16" in err) is native
    bf16 = trainer_for(tiny_bundle, cfg.replace(precision="bf16"), tmp_path / "bf16")
    assert len(bf16.startup_summary()) == 1 and "in bf16" in bf16.startup_summary()[0]
    bf16.fit()
    assert "natively" not in capsys.readouterr().err
    quiet = trainer_for(tiny_bundle, cfg.replace(progress=False), tmp_path / "quiet")
    assert any("natively" in line for line in quiet.startup_summary()) is native
    quiet.fit()
    assert "training vae" not in capsys.readouterr().err  # no progress bar: no summary


def test_the_hint_quotes_cpu_measurements_only_for_cpus(monkeypatch):
    monkeypatch.setattr(precision, "native_bf16", lambda device: True)
    cpu = precision.bf16_hint("fp32", torch.device("cpu"))
    gpu = precision.bf16_hint("fp32", torch.device("cuda"))
    assert cpu.startswith("this CPU") and "1.7x" in cpu
    assert gpu.startswith("this GPU") and "CPU" not in gpu and "x faster" not in gpu
    assert precision.bf16_hint("bf16", torch.device("cuda")) is None
