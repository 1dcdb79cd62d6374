"""Pretraining throughput: SimCLR training examples per second and achieved GFLOP/s, next to the
same machine's float32 matmul GFLOP/s measured in the same run. Runs unchanged on CPU or GPU.

    python benchmarks/train_throughput.py                                # nf_slowfast_tiny and nf_slowfast_f0
    python benchmarks/train_throughput.py --encoders=vit_base --batch=64 --mixed_precision
    python benchmarks/train_throughput.py --encoders=nf_slowfast_tiny --seconds=2 --jit_compile \
        --encoder_overrides='{"variant": "tiny_fine", "pooling": "mean_std"}'

Data are random waveforms already in memory (the input pipeline is not measured). One step encodes
2 views of `--batch` clips of `--seconds`; its FLOPs are taken as 3 x the counted forward FLOPs of
the encoder on those views (backward ~ 2 x forward), projector excluded, so the achieved GFLOP/s is
a slight underestimate.
"""

import json
import os
import sys
import time

from absl import app, flags

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

flags.DEFINE_list("encoders", ["nf_slowfast_tiny", "nf_slowfast_f0"], "Encoders to train.")
flags.DEFINE_string("encoder_overrides", "{}", "JSON keyword overrides for every encoder, e.g. "
                    "'{\"variant\": \"tiny_fine\", \"pooling\": \"mean_std\"}' (the published default's network).")
flags.DEFINE_integer("batch", 32, "Clips per step (each gives 2 views).")
flags.DEFINE_float("seconds", 3.0, "Crop length in seconds (the paper's 3 s).")
flags.DEFINE_integer("steps", 3, "Timed steps after 2 warm-up steps; the median is reported.")
flags.DEFINE_bool("mixed_precision", False, "mixed_bfloat16 (CPU) / mixed_float16 (GPU).")
flags.DEFINE_bool("jit_compile", False, "XLA-compile the whole train step (`hares-zoo pretrain --jit_compile`).")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np
    import tensorflow as tf

    import zoo
    from costing import graph_flops, matmul_gflops
    from zoo.pretrain import SimCLR
    from zoo.pretrain.optim import build_optimizer

    device = tf.config.list_logical_devices("GPU") and tf.config.experimental.get_device_details(
        tf.config.list_physical_devices("GPU")[0]).get("device_name", "GPU") or f"CPU x{os.cpu_count()}"
    yardstick = matmul_gflops()
    samples = int(FLAGS.seconds * 16000)
    overrides = json.loads(FLAGS.encoder_overrides)
    rows = []
    for name in FLAGS.encoders:
        forward = graph_flops(zoo.create_encoder(name, **overrides), samples) * 2 * FLAGS.batch   # 2 views
        if FLAGS.mixed_precision:
            keras.mixed_precision.set_global_policy("mixed_float16" if "CPU" not in device else "mixed_bfloat16")
        model = SimCLR(zoo.create_encoder(name, **overrides), projection_size=128)
        model.compile(optimizer=build_optimizer("adam", 1e-4, 1000, 10))
        batch = {"views": tf.constant(np.random.default_rng(0).normal(0, 0.1, (FLAGS.batch, 2, samples)),
                                      tf.float32)}
        model.build_for(batch)
        step = tf.function(model.train_step, jit_compile=FLAGS.jit_compile)
        for _ in range(2):
            float(step(batch)["loss"])
        times = []
        for _ in range(FLAGS.steps):
            start = time.perf_counter()
            float(step(batch)["loss"])
            times.append(time.perf_counter() - start)
        seconds = float(np.median(times))
        achieved = 3 * forward / seconds / 1e9
        rows.append((name, model.encoder.count_params(), FLAGS.batch / seconds, seconds, achieved))
        keras.mixed_precision.set_global_policy("float32")
    print(f"\nDevice: {device}; float32 matmul (2048^2): {yardstick:.1f} GFLOP/s; SimCLR, batch {FLAGS.batch} "
          f"x 2 views x {FLAGS.seconds:g} s; mixed precision {FLAGS.mixed_precision}; XLA train step "
          f"{FLAGS.jit_compile}; TF {tf.__version__}\n")
    print("| Encoder | Params | Step (s) | Examples / s | Achieved GFLOP/s | Share of matmul GFLOP/s |")
    print("|---|---|---|---|---|---|")
    for name, params, eps, seconds, achieved in rows:
        print(f"| `{name}` | {params:,} | {seconds:.3f} | {eps:.1f} | {achieved:.1f} | {achieved / yardstick:.0%} |")


if __name__ == "__main__":
    app.run(main)
