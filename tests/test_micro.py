"""The LiteRT Micro check: which ops of a LiteRT file have no tflite-micro kernel, and which run
hybrid (int8 weights, float activations), on files converted here from tiny Keras models."""

import keras
import numpy as np
import tensorflow as tf

from zoo.export.micro import MICRO_BUILTINS, micro_report


def _convert(activation, tmp_path, full_integer):
    inputs = keras.Input((16, 8, 1), batch_size=1)
    x = keras.layers.Conv2D(32, 3, activation=activation)(inputs)    # 288 weights: kept float by
    x = keras.layers.GlobalAveragePooling2D()(x)                      # dynamic range (under 1,024)
    model = keras.Model(inputs, keras.layers.Dense(64)(x))            # 2,048 weights: int8
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if full_integer:
        rng = np.random.default_rng(0)
        converter.representative_dataset = lambda: ([rng.normal(size=(1, 16, 8, 1)).astype(np.float32)]
                                                    for _ in range(8))
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = converter.inference_output_type = tf.int8
    path = tmp_path / f"{activation}-{'int8' if full_integer else 'dynamic'}.tflite"
    path.write_bytes(converter.convert())
    return path


def test_a_full_integer_relu_net_runs_on_micro_and_gelu_or_hybrid_ops_block_it(tmp_path):
    relu = micro_report(_convert("relu", tmp_path, full_integer=True))
    assert relu.supported and relu.input_dtypes == ["int8"] and relu.blocking == [] and relu.hybrid == []
    assert relu.ops["CONV_2D"] == 1 and relu.ops["FULLY_CONNECTED"] == 1 and set(relu.ops) <= MICRO_BUILTINS
    assert relu.summary().startswith("LiteRT Micro: every op has a Micro kernel")
    gelu = micro_report(_convert("gelu", tmp_path, full_integer=True))
    assert not gelu.supported and gelu.blocking == ["GELU"]
    assert gelu.summary() == "LiteRT Micro: blocked: no Micro kernel for GELU (x1)"
    dynamic = micro_report(_convert("relu", tmp_path, full_integer=False))
    assert dynamic.input_dtypes == ["float32"] and dynamic.blocking == []
    assert dynamic.hybrid == ["FULLY_CONNECTED"] and not dynamic.supported, dynamic
    assert dynamic.summary() == "LiteRT Micro: blocked: hybrid int8-weight / float-activation FULLY_CONNECTED"
