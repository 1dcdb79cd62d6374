"""Counted cost of every registered encoder: parameters, embedding size, GFLOPs per second of audio
and CPU inference throughput, next to the same machine's float32 matmul speed measured in the same run.

    python benchmarks/encoder_cost.py                       # every encoder, markdown table on stdout
    python benchmarks/encoder_cost.py --encoders=nf_slowfast_f0,vit_base --batch=32 --seconds=3

FLOPs are counted from the traced inference graph (batch 1, `--seconds` of audio) by TensorFlow's
profiler (`float_operation`: multiply and add each count 1), divided by `--seconds`. Throughput is
seconds of audio encoded per wall-clock second at `--batch` clips of `--seconds`, best of `--repeats`
timed calls after one warm-up call, on whatever device TensorFlow picks (CPU unless a GPU is visible).
"""

import json
import os
import time

import sys

from absl import app, flags

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from costing import graph_flops, matmul_gflops  # noqa: E402

flags.DEFINE_list("encoders", [], "Registered encoder names to measure; empty measures every one.")
flags.DEFINE_integer("batch", 32, "Clips per timed call.")
flags.DEFINE_float("seconds", 3.0, "Clip length in seconds (the paper's 3-s training crop by default).")
flags.DEFINE_integer("repeats", 3, "Timed calls per encoder; the fastest is reported.")
flags.DEFINE_string("json_out", "", "Also write the rows as JSON to this file.")
FLAGS = flags.FLAGS


def throughput(encoder, batch, samples, repeats):
    """Seconds of audio per wall-clock second at `[batch, samples]`."""
    import tensorflow as tf
    x = tf.random.normal([batch, samples], stddev=0.1)
    fn = tf.function(lambda w: encoder(w, training=False)["embedding"], jit_compile=False)
    fn(x).numpy()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn(x).numpy()
        best = min(best, time.perf_counter() - start)
    return batch * samples / 16000 / best


def main(argv):
    del argv
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    from tqdm import tqdm

    import zoo
    from zoo.registry import get_spec
    names = FLAGS.encoders or zoo.list_encoders()
    samples = int(round(FLAGS.seconds * 16000))
    device = tf.config.list_logical_devices("GPU") and "GPU" or f"CPU x{os.cpu_count()}"
    yardstick = matmul_gflops()
    rows = []
    for name in tqdm(names, desc="encoders", unit="encoder"):
        spec = get_spec(name)
        encoder = zoo.create_encoder(name)
        encoder.build()
        rows.append(dict(
            encoder=name, paper_params=spec.paper_params or "", params=encoder.count_params(),
            embedding=spec.embedding_size, frame_hop_ms=round(spec.frame_hop_seconds * 1000, 2),
            gflops_per_audio_second=graph_flops(encoder, samples) / 1e9 / FLAGS.seconds,
            audio_seconds_per_second=throughput(encoder, FLAGS.batch, samples, FLAGS.repeats)))
        tf.keras.backend.clear_session() if hasattr(tf, "keras") else None
    print(f"\nDevice: {device}; float32 matmul (2048^2): {yardstick:.1f} GFLOP/s; "
          f"batch {FLAGS.batch} x {FLAGS.seconds:g} s clips; TF {tf.__version__}\n")
    print("| Encoder | Paper params | Our params | Embedding | Frame hop (ms) | GFLOPs / s audio | "
          "Audio s / s (batch %d) | Share of matmul peak |" % FLAGS.batch)
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        used = r["gflops_per_audio_second"] * r["audio_seconds_per_second"]
        print(f"| `{r['encoder']}` | {r['paper_params']} | {r['params']:,} | {r['embedding']} | "
              f"{r['frame_hop_ms']:g} | {r['gflops_per_audio_second']:.3f} | "
              f"{r['audio_seconds_per_second']:,.0f} | {used / yardstick:.0%} |")
    if FLAGS.json_out:
        with open(FLAGS.json_out, "w") as f:
            json.dump(dict(device=device, matmul_gflops=yardstick, batch=FLAGS.batch, seconds=FLAGS.seconds,
                           rows=rows), f, indent=1)


if __name__ == "__main__":
    app.run(main)
