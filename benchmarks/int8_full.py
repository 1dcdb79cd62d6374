"""Full-integer int8 against the shipped LiteRT files: speed and cosine to float32 on real clips.

The shipped `encoder_int8.tflite` is dynamic-range int8 (int8 weights, float activations). This
script converts the same encoder with full-integer quantisation (int8 weights *and* activations),
calibrated on `--calibration` real clips of the open-audio pretraining pool (3 s each, shorter ones
repeated), with
the log-mel frontend and the per-clip standardisation kept in float (a quantised power spectrum
loses everything 48 dB below a frame's peak; see `zoo.frontends.log_mel`): TensorFlow's quantisation
debugger keeps the listed frontend ops in float, and it quantises the rest to int8 only (it passes
no 16x8 setting on), so 16-bit activations are not offered here. It then times the float32,
dynamic-range and full-integer files on `--clips` other real clips, one clip per call, and reports
audio-s/s, the speed-up over float32, and the cosine of each clip's embedding to float32's.

    hares-zoo prepare --corpus=open-audio
    python benchmarks/int8_full.py                       # the default published encoder
    python benchmarks/int8_full.py --out=benchmarks/int8_full     # the figures in docs/export.md
"""

import csv
import json
import os
import tempfile
import time

from absl import app, flags

from costing import write_table

flags.DEFINE_string("model", None, "Published encoder name or export folder; default: the default published encoder.")
flags.DEFINE_integer("calibration", 64, "Real clips for calibration (open-audio pretraining pool).")
flags.DEFINE_integer("clips", 80, "Other real clips to time and compare on.")
flags.DEFINE_integer("threads", 2, "LiteRT threads.")
flags.DEFINE_integer("worst_layers", 8, "Print the quantised layers with the largest error against float (0: skip).")
flags.DEFINE_string("out", None, "Write the measurements (.json) with this file stem.")
FLAGS = flags.FLAGS

FLOAT_SCOPES = ("log_mel", "standardize", "export_log_mel")   # op names of the frontend kept in float


def corpus_clips(count, offset, seconds=3.0, repeat_to_length=False):
    """`count` clips of the open-audio pretraining pool (needs `hares-zoo prepare --corpus=open-audio`),
    every k-th file from `offset`, cut to `seconds` (with `repeat_to_length`, shorter ones repeated to
    exactly `seconds`: the quantisation debugger feeds one input shape), float32 arrays at 16 kHz."""
    import numpy as np
    import zoo
    from zoo.data.audio_io import read_audio
    root = zoo.cache_dir("open-audio")
    manifest = os.path.join(root, "pretrain.csv")
    if not os.path.exists(manifest):
        raise SystemExit(f"int8_full: {manifest} not found; run `hares-zoo prepare --corpus=open-audio` first")
    with open(manifest) as f:
        paths = [row["path"] for row in csv.DictReader(f)]
    step = max(1, len(paths) // (2 * count))
    chosen = paths[offset::step][:count]
    clips = [read_audio(os.path.join(root, p))[: int(seconds * 16000)].astype("float32") for p in chosen]
    return [np.resize(clip, int(seconds * 16000)) for clip in clips] if repeat_to_length else clips


def full_integer(encoder, calibration):
    """TFLite bytes: full-integer quantisation calibrated on `calibration`, frontend ops in float."""
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    from zoo.export import tflite

    module = tflite._litert_module(encoder, None, None, frontend_constants_at_run_time=True)
    representative = lambda: ([clip[None]] for clip in calibration)        # noqa: E731
    with tempfile.TemporaryDirectory() as tmp:
        tf.saved_model.save(module, tmp, signatures={"serving_default": module.serve})

        def converter():
            c = tf.lite.TFLiteConverter.from_saved_model(tmp, signature_keys=["serving_default"])
            c.optimizations = [tf.lite.Optimize.DEFAULT]
            c.representative_dataset = representative
            c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8, tf.lite.OpsSet.TFLITE_BUILTINS]
            return c

        # A first conversion names the ops; the frontend's are then kept in float by the debugger.
        names = Interpreter(model_content=converter().convert())
        tensors = {t["index"]: t["name"] for t in names.get_tensor_details()}
        float_nodes = [tensors[i] for op in names._get_ops_details() for i in op["outputs"]
                       if any(f"{scope}" in tensors[i] for scope in FLOAT_SCOPES)]
        options = tf.lite.experimental.QuantizationDebugOptions(denylisted_nodes=float_nodes)
        debugger = tf.lite.experimental.QuantizationDebugger(converter=converter(), debug_dataset=representative,
                                                             debug_options=options)
        return debugger, len(float_nodes)


def worst_layers(debugger, count):
    """The quantised layers whose output, from float inputs, is furthest from float (RMSE; the
    debugger's layer-direct comparison over the calibration clips)."""
    debugger.run()
    rows = []
    for name, stats in debugger.layer_statistics.items():
        rows.append({"layer": name, "rmse": float(stats["mean_squared_error"]) ** 0.5,
                     "max_abs_error": float(stats["max_abs_error"])})
    return sorted(rows, key=lambda r: -r["rmse"])[:count]


def main(argv):
    del argv
    import keras
    import numpy as np

    import zoo
    from zoo.export.tflite import LiteRTEncoder
    model = FLAGS.model or zoo.published.DEFAULT_PUBLISHED
    path = zoo.published.resolve_model_path(model)
    import zoo.encoders  # noqa: F401  (registers the encoder classes)
    encoder = keras.saving.load_model(os.path.join(path, "encoder.keras"), compile=False)
    calibration = corpus_clips(FLAGS.calibration, 0, repeat_to_length=True)
    clips = corpus_clips(FLAGS.clips, 1)
    start = time.perf_counter()
    debugger, kept_float = full_integer(encoder, calibration)
    content = debugger.get_nondebug_quantized_model()
    convert_s = time.perf_counter() - start
    full_file = os.path.join(tempfile.mkdtemp(), "encoder_full_integer.tflite")
    with open(full_file, "wb") as f:
        f.write(content)
    files = {"float32": os.path.join(path, "tflite", "encoder_float32.tflite"),
             "int8 dynamic-range (shipped)": os.path.join(path, "tflite", "encoder_int8.tflite"),
             "full integer (int8 activations)": full_file}
    rows, reference = [], None
    for label, file in files.items():
        lite = LiteRTEncoder(file, num_threads=FLAGS.threads)
        for clip in clips[:3]:
            lite.run(clip[None])
        start = time.perf_counter()
        embeddings = np.stack([lite.run(clip[None])["embedding"][0] for clip in clips])
        seconds = time.perf_counter() - start
        reference = embeddings if reference is None else reference
        cosine = np.sum(embeddings * reference, 1) / (np.linalg.norm(embeddings, axis=1) * np.linalg.norm(reference, axis=1))
        rows.append({"file": label, "bytes": os.path.getsize(file), "audio_s_per_s": sum(c.size for c in clips) / 16000 / seconds,
                     "min_cosine": float(cosine.min()), "mean_cosine": float(cosine.mean())})
    for row in rows:
        row["vs_float32"] = row["audio_s_per_s"] / rows[0]["audio_s_per_s"]
    print(f"\nfull-integer file: {full_file}")
    print(f"\n{model}; calibration on {len(calibration)} open-audio clips ({convert_s:.0f} s); {kept_float} frontend "
          f"tensors kept float; {len(clips)} other clips, one per call, {FLAGS.threads} threads\n")
    write_table(["file", "MB", "audio s / s", "x float32", "min cosine to float32", "mean cosine"],
                [[r["file"], f"{r['bytes'] / 1e6:.2f}", f"{r['audio_s_per_s']:.0f}", f"{r['vs_float32']:.2f}x",
                  f"{r['min_cosine']:.4f}", f"{r['mean_cosine']:.4f}"] for r in rows])
    worst = worst_layers(debugger, FLAGS.worst_layers) if FLAGS.worst_layers else []
    if worst:
        print(f"\nThe {len(worst)} quantised layers furthest from float (from float inputs, over the calibration clips)\n")
        write_table(["layer (output tensor)", "RMSE", "max abs error"],
                    [[r["layer"].split(";")[0][-70:], f"{r['rmse']:.4f}", f"{r['max_abs_error']:.4f}"] for r in worst])
    if FLAGS.out:
        with open(FLAGS.out + ".json", "w") as f:
            json.dump({"files": rows, "worst_layers": worst}, f, indent=1)


if __name__ == "__main__":
    app.run(main)
