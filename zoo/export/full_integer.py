"""Full-integer LiteRT conversion: int8 weights *and* activations, calibrated on real clips.

    content = convert_full_integer(saved_dir, clips)     # bytes of the .tflite file
    debugger, kept_float = quantization_debugger(saved_dir, clips)   # per-layer error against float

`saved_dir` holds a SavedModel whose `serving_default` takes `waveform` float32 `[batch, samples]`
(`zoo.export.tflite._litert_module`, built with the frontend's matrices computed at run time);
`clips` are float32 `[samples]` arrays of one length, checked by `zoo.export.representative`, fed
one a call. Two parts stay in float, by name, through TensorFlow's quantisation debugger:

- the frontend (`frontend_nodes`: every op from the waveform input to the last op under
  `FLOAT_SCOPES`): the NaN guard and zero-padding of short clips, the log-mel frontend and the per-clip
  standardisation (a quantised power spectrum loses everything about 48 dB below a frame's peak),
  and SincNet's filter bank (its kernels are computed at run time: quantised, they get a zero
  point LiteRT's int8 convolution refuses);
- the pooling head (`pooling_nodes`): the mean + std pooling divides each frame by the clip's
  standard deviation, and a quantised divisor rounds to zero on some clips, where LiteRT's int8 DIV
  refuses to run (`div.cc: data[i] != zero_point`, measured).

Everything between (the network) runs in int8. The file's input and outputs stay float32 and its
signature is the float files' (`serving_default`, resizable). The measurements behind these
choices are in docs/export.md ("Full-integer int8").
"""

import re

import tensorflow as tf

from zoo.errors import ConfigError

# Op names of the frontends kept in float: the log-mel frontend and its standardisation, and SincNet's
# sinc filter bank (its kernels are computed from the band edges at run time; quantised as an
# activation, the kernel gets a non-zero zero point that LiteRT's int8 CONV_2D refuses to run).
FLOAT_SCOPES = re.compile(r"export_log_mel|log_mel|standardize|/sinc(_\d+)?/")
SIGNATURE = "serving_default"


def converter(saved_dir, clips, int16=False):
    """A full-integer (or, with `int16`, 16x8: int16 activations, int8 weights) converter of the
    SavedModel `saved_dir`, calibrated on `clips`; ops without an integer kernel fall back to float."""
    c = tf.lite.TFLiteConverter.from_saved_model(saved_dir, signature_keys=[SIGNATURE])
    c.optimizations = [tf.lite.Optimize.DEFAULT]
    c.representative_dataset = lambda: ([clip[None]] for clip in clips)
    integer_ops = (tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8 if int16
                   else tf.lite.OpsSet.TFLITE_BUILTINS_INT8)
    c.target_spec.supported_ops = [integer_ops, tf.lite.OpsSet.TFLITE_BUILTINS]
    return c


def pooling_nodes(ops, tensors):
    """The output tensors of the pooling head: every op of the encoder's own call (not of a block or
    the stem: its tensor sits one level under the encoder's name) from the first time-mean on.

    `ops`: the interpreter's op details; `tensors`: {tensor index: name}."""
    top = [(op["op_name"], tensors[i]) for op in ops for i in op["outputs"]
           if len(tensors[i].split(";")[0].split("/")) == 2 and not FLOAT_SCOPES.match(tensors[i])]
    first = next((k for k, (name, _) in enumerate(top) if name == "MEAN"), len(top))
    return [tensor for _, tensor in top[first:]]


def frontend_nodes(ops, tensors):
    """The output tensors of the waveform's path up to the network: every op, in execution order,
    up to the last one under `FLOAT_SCOPES`. That takes in the ops *before* the frontend too (the
    serving function's NaN guard, the encoder's zero-padding of short clips): quantised, they carry
    the waveform in 8 bits on a [-1, 1] scale, where a quiet clip is a few levels and its embedding
    is lost (measured: docs/export.md).

    `ops`: the interpreter's op details in execution order; `tensors`: {tensor index: name}."""
    outputs = [tensors[i] for op in ops for i in op["outputs"]]
    last = max((k for k, name in enumerate(outputs) if FLOAT_SCOPES.search(name)), default=-1)
    return outputs[:last + 1]


def float_nodes(content):
    """The tensor names of a first full-integer conversion (`content`, bytes) to keep in float: the
    waveform's path through the frontend and the pooling head; returns (names, how many are the
    frontend's)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    interpreter = Interpreter(model_content=content,    # no delegate: the op list is the file's own
                              experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    tensors = {t["index"]: t["name"] for t in interpreter.get_tensor_details()}
    ops = interpreter._get_ops_details()
    frontend = frontend_nodes(ops, tensors)
    return frontend + pooling_nodes(ops, tensors), len(frontend)


def quantization_debugger(saved_dir, clips):
    """A `tf.lite.experimental.QuantizationDebugger` of the full-integer conversion with the frontend
    and the pooling head kept in float (module docstring); and the number of frontend tensors kept."""
    kept, frontend = float_nodes(converter(saved_dir, clips).convert())
    options = tf.lite.experimental.QuantizationDebugOptions(denylisted_nodes=kept)
    c = converter(saved_dir, clips)
    debugger = tf.lite.experimental.QuantizationDebugger(converter=c, debug_options=options,
                                                         debug_dataset=c.representative_dataset)
    return debugger, frontend


def convert_full_integer(saved_dir, clips):
    """The full-integer `.tflite` file's bytes (module docstring), run once on the first clip: a file
    LiteRT refuses to run raises `ConfigError` naming the op, instead of being written."""
    from ai_edge_litert.interpreter import Interpreter
    debugger, _ = quantization_debugger(saved_dir, clips)
    content = debugger.get_nondebug_quantized_model()
    runner = Interpreter(model_content=content).get_signature_runner(SIGNATURE)
    try:
        runner(waveform=clips[0][None])
    except RuntimeError as error:
        first = str(error).strip().splitlines()[0][:300]
        raise ConfigError(f"the full-integer (int8) conversion gives a file LiteRT cannot run ({first}); "
                          "export without int8 (--tflite=float32,int8_dynamic)") from error
    return content
