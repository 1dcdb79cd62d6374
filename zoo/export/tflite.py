"""TFLite (LiteRT) files of an encoder: any batch and length, builtin ops only, the SavedModel's names.

`encoder_<quantization>.tflite` holds the signature `serving_default` (input `waveform` float32
`[batch, samples]` -> `embedding` `[batch, D]`, `frame_embeddings` `[batch, frames, D]`) and
`log_mel.tflite` (float32) the signature `log_mel` (-> `log_mel` `[batch, frames, mel]`). By default
both input dimensions are dynamic (shape signature `[-1, -1]`): a signature runner resizes the input
to each call's waveform, and `Interpreter.resize_tensor_input` does the same by hand. `samples` and
`batch` can instead be fixed at export, for runtimes that need static shapes. Two files rather than
one with two signatures: TensorFlow 2.21's converter keeps only one of several signatures of a
SavedModel.

Variants (`QUANTIZATIONS`), each written as `encoder_<variant>.tflite`:
- `float32`;
- `int8_dynamic`: dynamic-range quantisation (weights stored as int8, activations computed in
  float, no calibration data needed; the log-mel frontend stays float32: the file is converted from
  a twin of the encoder built with `frontend_constants_at_run_time=True`, see
  `zoo.frontends.log_mel.LogMelSpectrogram`). Not an integer model: no NPU, Edge TPU or
  microcontroller runs it;
- `int8`: full-integer quantisation (int8 weights and activations; the frontend and the pooling head
  in float, `zoo.export.full_integer`), calibrated on `representative` real clips;
- `float16` (weights stored as float16).
The STFT is LiteRT's RFFT2D (no weights); the float files keep the mel matrix a constant, so that
XNNPACK runs the whole float graph (docs/export.md, "Where the time goes").

LiteRT has no assert op, so the documented behaviour on non-finite input differs from the
SavedModel's error: NaN and Inf samples are replaced by 0 inside the graph, so a bad sample never
turns the embedding into NaN. Only TFLite builtin ops are allowed (`TFLITE_BUILTINS`): the
conversion fails rather than produce a file that needs the Flex delegate.
"""

import os
import tempfile

import numpy as np
import tensorflow as tf

from zoo.export.serving import frontend_fn
from zoo.encoders.base import LogMelEncoder
from zoo.errors import ConfigError, WaveformError

QUANTIZATIONS = ("float32", "int8_dynamic", "int8", "float16")
CALIBRATED = ("int8",)      # variants that need representative clips
FLOAT32_MAX = float(np.finfo(np.float32).max)


def zero_nonfinite(waveform):
    """NaN and +-Inf samples -> 0 with builtin ops only (`|x| <= max float` is false for both)."""
    return tf.where(tf.abs(waveform) <= FLOAT32_MAX, waveform, tf.zeros_like(waveform))


def _frozen(fn, spec):
    """`fn` traced on `spec` with every variable folded into a constant (LiteRT then constant-folds
    the weight standardisation too); the result keeps `fn`'s name and output names."""
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
    traced = tf.function(fn).get_concrete_function(spec)
    frozen = convert_variables_to_constants_v2(traced)

    def call(waveform):
        return tf.nest.pack_sequence_as(traced.structured_outputs, tf.nest.flatten(frozen(waveform)))
    call.__name__ = fn.__name__    # distinct names: the converter keeps one signature per function name
    return tf.function(call, input_signature=[spec])


def for_litert(encoder):
    """A twin of `encoder` (same config and weights) whose log-mel frontend computes its matrices at
    run time, so int8 conversion keeps it in float; waveform encoders are returned as they are."""
    if not isinstance(encoder, LogMelEncoder):
        return encoder
    twin = encoder.__class__.from_config({**encoder.get_config(), "frontend_constants_at_run_time": True})
    twin.build()
    twin.set_weights(encoder.get_weights())
    return twin


def _litert_module(encoder, samples, batch, frontend_constants_at_run_time):
    """`samples`, `batch`: ints, or None for a dynamic dimension; `frontend_constants_at_run_time`:
    hide the frontend's matrices from the quantiser (`for_litert`)."""
    spec = tf.TensorSpec([batch, samples], tf.float32, name="waveform")
    if frontend_constants_at_run_time:
        encoder = for_litert(encoder)
    frontend = frontend_fn(encoder, constants_at_run_time=frontend_constants_at_run_time)

    def serving_default(waveform):
        return encoder(zero_nonfinite(waveform), training=False)

    def log_mel(waveform):
        return {"log_mel": frontend(zero_nonfinite(waveform))}

    module = tf.Module()
    module.serve, module.log_mel = _frozen(serving_default, spec), _frozen(log_mel, spec)
    return module


def convert(encoder, samples=None, quantization="float32", batch=None, signature="serving_default",
            representative=None):
    """Encoder -> TFLite flatbuffer bytes of one signature (`serving_default` or `log_mel`) on a
    `[batch, samples]` input (None: that dimension is dynamic); see the module docstring.
    `representative`: float32 clips of one length (`zoo.export.representative`), for `int8`."""
    if quantization not in QUANTIZATIONS:
        raise ConfigError(f"quantization {quantization!r}; expected one of {QUANTIZATIONS}")
    if signature not in ("serving_default", "log_mel"):
        raise ConfigError(f"signature {signature!r}; expected 'serving_default' or 'log_mel'")
    if any(d is not None and int(d) < 1 for d in (samples, batch)):
        raise ConfigError(f"TFLite input must be at least [1, 1]; got batch {batch}, samples {samples}")
    if quantization in CALIBRATED and (signature != "serving_default" or not representative):
        raise ConfigError(f"quantization {quantization!r} converts the encoder's serving_default signature and "
                          "needs representative clips (zoo.export.representative.representative_clips)")
    if not encoder.built:
        encoder.build()
    module = _litert_module(encoder, None if samples is None else int(samples), None if batch is None else int(batch),
                            frontend_constants_at_run_time=quantization in ("int8_dynamic", "int8"))
    function = module.serve if signature == "serving_default" else module.log_mel
    with tempfile.TemporaryDirectory() as tmp:
        tf.saved_model.save(module, tmp, signatures={signature: function},
                            options=tf.saved_model.SaveOptions(experimental_custom_gradients=False))
        if quantization == "int8":
            from zoo.export.full_integer import convert_full_integer
            return convert_full_integer(tmp, representative)
        converter = tf.lite.TFLiteConverter.from_saved_model(tmp, signature_keys=[signature])
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if quantization != "float32":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if quantization == "float16":
            converter.target_spec.supported_types = [tf.float16]
        return converter.convert()


def export_tflite(encoder, out_dir, samples=None, quantizations=("float32", "int8_dynamic"), batch=None,
                  representative=None):
    """Write `encoder_<quantization>.tflite` files and `log_mel.tflite` into `out_dir`; returns
    {quantization: path} of the encoder files. `samples`/`batch` None: resizable. `representative`:
    calibration clips, needed by `int8` (full integer)."""
    os.makedirs(out_dir, exist_ok=True)
    paths = {}
    for quantization in quantizations:
        path = os.path.join(out_dir, f"encoder_{quantization}.tflite")
        content = convert(encoder, samples, quantization, batch,
                          representative=representative if quantization in CALIBRATED else None)
        with open(path, "wb") as f:
            f.write(content)
        paths[quantization] = path
    with open(os.path.join(out_dir, "log_mel.tflite"), "wb") as f:
        f.write(convert(encoder, samples, "float32", batch, signature="log_mel"))
    return paths


class LiteRTEncoder:
    """Runs an exported `.tflite` file with `ai_edge_litert`: `run(waveform)` -> dict of NumPy arrays.

    `waveform` is float32 `[batch, samples]`; `input_shape` is the file's shape signature, -1 where a
    dimension is resizable (the default export: `(-1, -1)`, any batch and length).
    """

    def __init__(self, path, num_threads=None):
        from ai_edge_litert.interpreter import Interpreter
        self.path = os.fspath(path)
        self.interpreter = Interpreter(model_path=self.path, num_threads=num_threads)
        self._runners = {}
        self.signatures = list(self.interpreter.get_signature_list())
        details = self.runner(self.signatures[0]).get_input_details()["waveform"]
        self.input_shape = tuple(int(d) for d in details.get("shape_signature", details["shape"]))

    @property
    def resizable(self):
        return -1 in self.input_shape

    def runner(self, signature):
        if signature not in self._runners:
            self._runners[signature] = self.interpreter.get_signature_runner(signature)
        return self._runners[signature]

    def run(self, waveform, signature=None):
        waveform = np.ascontiguousarray(waveform, np.float32)
        fits = waveform.ndim == 2 and all(want in (-1, got) for want, got in zip(self.input_shape, waveform.shape))
        if not fits or waveform.size == 0:
            raise WaveformError(f"{os.path.basename(self.path)}: waveform shape {waveform.shape}, expected "
                                f"{list(self.input_shape)} (-1: any size; a fixed size is fixed at export)")
        return self.runner(signature or self.signatures[0])(waveform=waveform)
