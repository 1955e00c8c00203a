#!/usr/bin/env bash
# GPU check of the fast path, in under 8 minutes on one CUDA machine. Prints one JSON object:
# for the VAE (latent 16, batch 128, 28x28), DCGAN (batch 64, 32x32) and DCGAN at 64x64
# (batch 64): images/s in fp32, bf16 and bf16 + compile + channels-last, and the peak GPU
# memory of each; then, with two or more GPUs, the AE trained on 1 and on 2 processes (NCCL)
# at the same global batch and the largest weight difference (skipped, and said so, on one GPU).
#
#     bash benchmarks/gpu_check.sh            # from the repository root
#
# Data: fashion-mnist.npz from --data-dir rules ($LATENTFORGE_DATA, ../shared/datasets);
# without it, random images of the same shape (throughput only; said in the JSON).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
# Install what is missing (the package itself runs from src/, nothing is reinstalled).
if ! "$PYTHON" -c "import torch, safetensors, numpy, tqdm, PIL" 2>/dev/null; then
    "$PYTHON" -m pip install --quiet torch safetensors numpy tqdm pillow >&2
fi
"$PYTHON" -c "import tensorboard" 2>/dev/null || "$PYTHON" -m pip install --quiet tensorboard >&2 || true
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

timeout 420 "$PYTHON" - "$OUT" <<'EOF' > "$OUT/throughput.json"
import json, statistics, sys, tempfile
from pathlib import Path

import numpy as np
import torch

from latentforge.data import load_data
from latentforge.data.base import DataBundle, TensorImageSet
from latentforge.data.sources import checkout_data_dir
from latentforge.steps.train_config import TrainConfig
from latentforge.training.distributed import DistContext
from latentforge.training.engine import Trainer
from latentforge.utils.run_logs import read_metrics
from latentforge.training.run import build_for_data
from latentforge.utils.seeding import seed_everything

assert torch.cuda.is_available(), "no CUDA GPU"
device = torch.device("cuda")
data_dir = checkout_data_dir()
real = data_dir is not None and (data_dir / "fashion-mnist.npz").exists()


def bundle(size):
    if real:
        return load_data(str(data_dir / "fashion-mnist.npz"), image_size=size, val_fraction=0.1)
    h, w = size or (28, 28)
    images = torch.from_numpy(np.random.default_rng(0).integers(0, 256, (20000, 1, h, w), dtype=np.uint8))
    return DataBundle("random", TensorImageSet(images), None)


CASES = {
    "vae_28_b128": ("vae", {"latent_dim": 16}, 128, None),
    "dcgan_32_b64": ("dcgan", {}, 64, (32, 32)),
    "dcgan_64_b64": ("dcgan", {}, 64, (64, 64)),
}
SETTINGS = {
    "fp32": {"precision": "fp32", "channels_last": False, "compile": False},
    "bf16": {"precision": "bf16", "channels_last": False, "compile": False},
    "bf16_compile_channels_last": {"precision": "bf16", "channels_last": True, "compile": True},
}
results = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "real_data": real}
for case, (model_type, options, batch, size) in CASES.items():
    data = bundle(size)
    results[case] = {}
    for name, setting in SETTINGS.items():
        seed_everything(0)
        model = build_for_data(model_type, options, data)
        cfg = TrainConfig(batch_size=batch, device="cuda", max_steps=120, log_every=20,
                          progress=False, tensorboard=False, num_workers=0, **setting)
        torch.cuda.reset_peak_memory_stats()
        with tempfile.TemporaryDirectory() as run_dir:
            Trainer(model, data, cfg, run_dir, DistContext(device=device)).fit()
            records = [r for r in read_metrics(run_dir) if "images_per_s" in r]
        results[case][name] = {
            "images_per_s": round(statistics.median(r["images_per_s"] for r in records[1:]), 1),
            "peak_memory_mib": round(torch.cuda.max_memory_allocated() / 2**20, 1),
            "compile_s": round(sum(r.get("compile_s", 0.0) for r in records), 2),
            "data_wait_share": round(statistics.median(r["data_wait_share"] for r in records[1:]), 4),
        }
print(json.dumps(results))
EOF

GPUS=$("$PYTHON" -c "import torch; print(torch.cuda.device_count())")
if [ "$GPUS" -ge 2 ]; then
    AE=(train ae --data sample --latent-dim 4 --hidden-channels 8,16 --batch-size 64
        --max-steps 200 --epochs 1 --no-progress --no-tensorboard --num-workers 0
        --device cuda --precision fp32 --out)
    (cd "$OUT" && timeout 120 "$PYTHON" -m latentforge "${AE[@]}" one >/dev/null 2>&1)
    (cd "$OUT" && timeout 120 "$PYTHON" -m torch.distributed.run --standalone --nproc_per_node 2 \
        -m latentforge "${AE[@]}" two >/dev/null 2>&1)
    EQUALITY=$("$PYTHON" - "$OUT" <<'EOF'
import json, sys
from pathlib import Path
from safetensors.torch import load_file
from latentforge.training.checkpoint import latest_checkpoint
out = Path(sys.argv[1])
a, b = (load_file(str(latest_checkpoint(out / n) / "model.safetensors")) for n in ("one", "two"))
weights = [k for k in a if not k.startswith("latent_")]
print(json.dumps({"gpus": 2, "backend": "nccl", "steps": 200,
                  "max_weight_difference": max((a[k] - b[k]).abs().max().item() for k in weights),
                  "tolerance": 3e-3}))
EOF
)
else
    EQUALITY="{\"skipped\": \"$GPUS GPU: the 1-vs-2-process NCCL check needs two\"}"
fi
"$PYTHON" -c "import json,sys; r=json.load(open(sys.argv[1])); r['two_process_equality']=json.loads(sys.argv[2]); print(json.dumps(r))" \
    "$OUT/throughput.json" "$EQUALITY"
