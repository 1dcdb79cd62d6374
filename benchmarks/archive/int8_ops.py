"""Which op kinds of the Slowfast NF blocks does XNNPACK speed up in int8? One small LiteRT file per op
kind, at a block's shape (a 3-s clip's fast path after the stem: [1, 76, 32, C]), converted twice
(float32, and full-integer int8 with int8 input and output, calibrated on random normal inputs) and
timed with XNNPACK (the default delegate) and without it (LiteRT's builtin kernels), 2 threads.

An op kind whose int8 file runs no faster with XNNPACK than without is not delegated in int8: each
one in a graph splits XNNPACK's partition and runs on the builtin kernels.

    python benchmarks/archive/int8_ops.py --out=benchmarks/archive/int8_ops
"""

import json
import os
import sys
import tempfile
import time

from absl import app, flags

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))   # benchmarks/costing.py
from costing import write_table  # noqa: E402

flags.DEFINE_integer("channels", 32, "Channels of the op's input.")
flags.DEFINE_integer("repeats", 200, "Timed calls per file.")
flags.DEFINE_integer("threads", 2, "LiteRT threads.")
flags.DEFINE_string("out", None, "Write the rows (.json) with this file stem.")
FLAGS = flags.FLAGS

SHAPE = (76, 32)          # (time, frequency) of the fast path after its stem on a 3-s clip


def op_models(channels):
    """{name: Keras model [1, *SHAPE, C] -> ...}: one op kind each, as the NF blocks use it."""
    import keras
    from keras import layers

    def model(build, inputs=1):
        xs = [keras.Input((*SHAPE, channels), batch_size=1) for _ in range(inputs)]
        return keras.Model(xs, build(*xs))

    return {
        "conv 1x1": model(lambda x: layers.Conv2D(channels, 1)(x)),
        "conv 3x1": model(lambda x: layers.Conv2D(channels, (3, 1), padding="same")(x)),
        "conv 3x1 + fused ReLU": model(lambda x: layers.Conv2D(channels, (3, 1), padding="same", activation="relu")(x)),
        "conv 3x1, 2 groups": model(lambda x: layers.Conv2D(channels, (3, 1), padding="same", groups=2)(x)),
        "ReLU alone": model(lambda x: layers.ReLU()(x)),
        "GELU alone": model(lambda x: layers.Activation("gelu")(x)),
        "ReLU6 alone": model(lambda x: layers.ReLU(6.0)(x)),
        "LeakyReLU alone": model(lambda x: layers.LeakyReLU(0.01)(x)),
        "maximum with 0": model(lambda x: keras.ops.maximum(x, 0.0)),
        "multiply by a scalar": model(lambda x: x * 1.7),
        "residual add": model(lambda x, y: x + y, inputs=2),
        "concatenate (channels)": model(lambda x, y: layers.Concatenate()([x, y]), inputs=2),
        "average pool 1x2": model(lambda x: layers.AveragePooling2D((1, 2), padding="same")(x)),
        "max pool 1x2": model(lambda x: layers.MaxPooling2D((1, 2), padding="same")(x)),
        "mean over frequency": model(lambda x: keras.ops.mean(x, axis=2)),
        "sigmoid gate (SE)": model(lambda x: x * keras.ops.sigmoid(keras.ops.mean(x, axis=(1, 2), keepdims=True))),
    }


def convert(model, int8):
    import numpy as np
    import tensorflow as tf
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if int8:
        rng = np.random.default_rng(0)
        shapes = [tuple(i.shape) for i in model.inputs]
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: ([rng.normal(size=s).astype(np.float32) for s in shapes]
                                                    for _ in range(16))
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = converter.inference_output_type = tf.int8
    return converter.convert()


def time_file(content, xnnpack, threads, repeats):
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    resolver = OpResolverType.AUTO if xnnpack else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    interpreter = Interpreter(model_content=content, num_threads=threads, experimental_op_resolver_type=resolver)
    interpreter.allocate_tensors()
    rng = np.random.default_rng(1)
    for detail in interpreter.get_input_details():
        data = rng.normal(size=detail["shape"])
        if detail["dtype"] == np.int8:
            data = np.clip(np.round(data * 30), -128, 127)
        interpreter.set_tensor(detail["index"], data.astype(detail["dtype"]))
    for _ in range(10):
        interpreter.invoke()
    start = time.perf_counter()
    for _ in range(repeats):
        interpreter.invoke()
    return (time.perf_counter() - start) / repeats * 1e6


def main(argv):
    del argv
    tempfile.tempdir = tempfile.mkdtemp()
    rows = []
    for name, model in op_models(FLAGS.channels).items():
        row = {"op": name}
        for int8 in (False, True):
            content = convert(model, int8)
            for xnnpack in (True, False):
                row[f"{'int8' if int8 else 'float32'}_{'xnnpack' if xnnpack else 'builtin'}_us"] = time_file(
                    content, xnnpack, FLAGS.threads, FLAGS.repeats)
        row["int8_xnnpack_gain"] = row["int8_builtin_us"] / row["int8_xnnpack_us"]
        row["int8_vs_float32"] = row["float32_xnnpack_us"] / row["int8_xnnpack_us"]
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(f"\nOne op at [1, {SHAPE[0]}, {SHAPE[1]}, {FLAGS.channels}], {FLAGS.threads} threads, "
          f"microseconds per call (mean of {FLAGS.repeats})\n")
    write_table(["op kind", "float32 XNNPACK", "float32 builtin", "int8 XNNPACK", "int8 builtin",
                 "XNNPACK speed-up in int8", "int8 speed vs float32 (XNNPACK)"],
                [[r["op"], f"{r['float32_xnnpack_us']:.0f}", f"{r['float32_builtin_us']:.0f}", f"{r['int8_xnnpack_us']:.0f}",
                  f"{r['int8_builtin_us']:.0f}", f"{r['int8_xnnpack_gain']:.2f}x", f"{r['int8_vs_float32']:.2f}x"]
                 for r in rows], rows, FLAGS.out and FLAGS.out + ".json")


if __name__ == "__main__":
    app.run(main)
