"""Deployment cost of exported encoders: per encoder and format (SavedModel, LiteRT float32, LiteRT
int8_dynamic) the size on disk, load time, latency of a 1-s clip at batch 1 and throughput on 32 clips of
1 s, on `--threads` CPU threads; plus the dynamic-range int8 speed-up over float32 and the export's own parity
verification (so this script is also the full-size models' export acceptance run).

    python benchmarks/deploy_cost.py                                   # the tiny encoders
    python benchmarks/deploy_cost.py --encoders=nf_slowfast_f0,efficientnet_b0 --json_out=deploy.json

Latency is the median of `--repeats` calls after one warm-up. Throughput is seconds of audio per
wall-clock second for 32 clips: one batched call for the SavedModel, 32 calls of the batch-1 LiteRT
file (LiteRT files have a fixed `[1, samples]` input). Exports go to a temporary folder.
"""

import json
import os
import tempfile
import time

from absl import app, flags

from costing import write_table

flags.DEFINE_list("encoders", ["logmel_conv_tiny", "nf_slowfast_tiny", "nfnet_tiny", "efficientnet_tiny",
                               "vit_micro", "sincnet"], "Registered encoders to export and measure.")
flags.DEFINE_integer("threads", 2, "CPU threads for TensorFlow (intra-op) and LiteRT.")
flags.DEFINE_integer("repeats", 5, "Timed batch-1 calls; the median is reported.")
flags.DEFINE_bool("verify", True, "Run the export's parity checks (and fail loudly if one fails).")
flags.DEFINE_string("json_out", "", "Also write the rows as JSON here.")
FLAGS = flags.FLAGS

BATCH = 32


def _folder_bytes(path, skip=("tflite",)):
    total = 0
    for root, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if d not in skip]
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files
                     if f.endswith((".pb", ".index")) or ".data-" in f)
    return total


def _median_seconds(fn, repeats):
    import numpy as np
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def measure(name, work):
    import numpy as np
    import tensorflow as tf

    from zoo.export import LiteRTEncoder, export_encoder
    from zoo.export.verify import real_like_clips
    out = os.path.join(work, name)
    start = time.perf_counter()
    facts = export_encoder(name, out, tflite_seconds=1.0, verify_export=FLAGS.verify, progress=lambda _: None)
    export_seconds = time.perf_counter() - start
    clips = real_like_clips(16000, BATCH)
    rows = []

    start = time.perf_counter()
    model = tf.saved_model.load(out)
    load = time.perf_counter() - start
    one, batch = tf.constant(clips[:1]), tf.constant(clips)
    latency = _median_seconds(lambda: model(one)["embedding"].numpy(), FLAGS.repeats)
    batch_seconds = _median_seconds(lambda: model(batch)["embedding"].numpy(), max(1, FLAGS.repeats // 2))
    rows.append(dict(encoder=name, format="SavedModel", megabytes=_folder_bytes(out) / 1e6, load_s=load,
                     latency_ms=latency * 1e3, audio_s_per_s=BATCH / batch_seconds))
    for quantization in ("float32", "int8_dynamic"):
        path = os.path.join(out, "tflite", f"encoder_{quantization}.tflite")
        start = time.perf_counter()
        lite = LiteRTEncoder(path, num_threads=FLAGS.threads)
        lite.run(clips[:1])
        load = time.perf_counter() - start
        latency = _median_seconds(lambda: lite.run(clips[:1]), FLAGS.repeats)
        start = time.perf_counter()
        for clip in clips:
            lite.run(clip[None])
        rows.append(dict(encoder=name, format=f"LiteRT {quantization}", megabytes=os.path.getsize(path) / 1e6,
                         load_s=load, latency_ms=latency * 1e3, audio_s_per_s=BATCH / (time.perf_counter() - start)))
    parity = facts.get("parity", {})
    for row in rows:
        row.update(params=facts["parameters"], export_s=export_seconds, verified=parity.get("passed"))
    rows[-1]["int8_speedup"] = rows[-2]["latency_ms"] / rows[-1]["latency_ms"]
    if parity:
        rows[-1]["int8_min_cosine"] = parity["tflite"]["int8_dynamic"]["min_cosine"]
        rows[-2]["float32_rel_error"] = parity["tflite"]["float32"]["embedding_relative_error"]
    return rows


def main(argv):
    del argv
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(FLAGS.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from tqdm import tqdm
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for name in tqdm(FLAGS.encoders, desc="export + measure", unit="encoder"):
            rows += measure(name, work)
            print(json.dumps(rows[-3:], default=str), flush=True)
    print(f"\n{FLAGS.threads} CPU threads; TF {tf.__version__}; 1-s clips (16,000 samples); throughput over "
          f"{BATCH} clips\n")
    cells = []
    for r in rows:
        parity = (f"rel. err {r['float32_rel_error']:.0e}" if "float32_rel_error" in r else
                  f"min cosine {r['int8_min_cosine']:.5f}" if "int8_min_cosine" in r else
                  "verified" if r["verified"] else "")
        speedup = f"{r['int8_speedup']:.2f}x" if "int8_speedup" in r else ""
        cells.append([f"`{r['encoder']}`", f"{r['params']:,}", r["format"], f"{r['megabytes']:.1f}",
                      f"{r['load_s']:.2f}", f"{r['latency_ms']:.1f}", f"{r['audio_s_per_s']:.0f}", speedup, parity])
    write_table(["encoder", "params", "format", "size (MB)", "load (s)", "latency, 1 s clip (ms)", "audio s / s",
                 "int8 speed-up", "parity"], cells, rows, FLAGS.json_out)

if __name__ == "__main__":
    app.run(main)
