"""The serving contract as a SavedModel root object (docs/design.md, "The serving contract").

`serving_module(encoder, encoder_name)` returns a `tf.train.Checkpoint` root that holds:

    obj(waveform, training=False)        `__call__`: waveform float32 [batch, samples], 16 kHz, any
                                         length >= 1 -> {"embedding": [batch, D],
                                         "frame_embeddings": [batch, frames, D]}; one input
                                         signature (`training` a bool tensor), so a new clip
                                         length costs no new trace
    signatures "serving_default"         the same, input name `waveform`, no training flag
               "log_mel"                 waveform -> {"log_mel": [batch, frames, mel]}
    sample_rate, embedding_size,         scalar tf.Variables (non-trainable), read with `.numpy()`
    frame_hop_seconds, encoder_name
    variables, trainable_variables,      the TF2 reusable-SavedModel attributes, so that
    regularization_losses                `hub.KerasLayer(path, trainable=True)` fine-tunes the encoder

The graphs serve the encoder in its inference form: layers that offer `fold_for_serving()` (the
NFNets' weight-standardised convolutions) are folded on a copy, so a call runs plain convolutions
instead of standardising every kernel again (`variables` then hold the folded kernels, and
fine-tuning through `hub.KerasLayer` trains them directly; `encoder.keras` keeps the training form).

Input checks inside the graph (they run on every call): a clip with 0 samples and non-finite samples
raise `InvalidArgumentError` whose message names `waveform`; wrong rank or dtype do not match the
signature and TensorFlow refuses the call. The encoder itself pads clips shorter than its receptive
field. The root does not hold the Keras model, only its variables, so the file loads without `zoo`
or Keras installed.
"""

import numpy as np
import tensorflow as tf

from zoo import audio_constants as ac
from zoo.frontends import LogMelSpectrogram

WAVEFORM_SPEC = tf.TensorSpec([None, None], tf.float32, name="waveform")
TRAINING_SPEC = tf.TensorSpec([], tf.bool, name="training")


def check_waveform(waveform):
    """Graph-side checks of the contract: at least 1 sample, every sample finite."""
    samples = tf.shape(waveform)[1]
    with tf.control_dependencies([
            tf.debugging.assert_positive(samples, message="waveform has 0 samples; expected float32 "
                                         "[batch, samples] with samples >= 1 at 16 kHz"),
            tf.debugging.assert_all_finite(waveform, "waveform holds NaN or Inf samples; expected "
                                           "finite float32 values in [-1, 1]")]):
        return tf.identity(waveform)


def frontend_fn(encoder, constants_at_run_time=False):
    """The `log_mel` signature's function: the encoder's own log-mel frontend (standardised when the
    encoder standardises), or the default 80-bin log-mel for waveform encoders (SincNet), which
    `constants_at_run_time` builds as the LiteRT exporter needs (`LogMelSpectrogram`)."""
    if hasattr(encoder, "features"):
        return encoder.features
    return LogMelSpectrogram(constants_at_run_time=constants_at_run_time, name="export_log_mel")


def rebuild_with(encoder, **options):
    """A copy of the Keras `encoder` built from its config with `options` changed and the same weights
    (options that add no weights, e.g. a Slowfast NFNet's pooling for serving)."""
    copy = type(encoder).from_config({**encoder.get_config(), **options})
    copy(np.zeros((1, ac.SAMPLE_RATE), np.float32))
    copy.set_weights(encoder.get_weights())
    return copy


def inference_form(encoder):
    """`(served, variables, trainable_variables)`: `encoder` itself when none of its layers folds, else a
    copy whose foldable layers are folded (`fold_for_serving()`), with the variables its calls read."""
    if not any(hasattr(layer, "fold_for_serving") for layer in encoder._flatten_layers()):
        return encoder, list(encoder.variables), list(encoder.trainable_variables)
    served = rebuild_with(encoder)
    replaced, added = set(), []
    for layer in served._flatten_layers():
        if hasattr(layer, "fold_for_serving"):
            old, new = layer.fold_for_serving()
            replaced.update(id(v) for v in old)
            added += new
    kept = [v for v in served.variables if id(v) not in replaced]
    trainable = [v for v in served.trainable_variables if id(v) not in replaced]
    return served, kept + added, trainable + [v for v in added if v.trainable]


def serving_module(encoder, encoder_name):
    """Wrap a built `AudioEncoder` in the contract's root object (see the module docstring); `encoder`
    itself is left as it is."""
    if not encoder.built:
        encoder.build()
    encoder, variables, trainable_variables = inference_form(encoder)
    log_mel = frontend_fn(encoder)
    root = tf.train.Checkpoint()

    def call(waveform, training=False):
        return encoder(check_waveform(waveform), training=training)

    def call_any_mode(waveform, training=False):
        # `training` is a tensor (hub.KerasLayer passes a Python bool, converted on the way in), so
        # the whole call has one input signature: a restored function without one traces a new
        # wrapper for every input shape it meets (hundreds of ms for each new clip length).
        return tf.cond(training, lambda: call(waveform, True), lambda: call(waveform, False))

    root.__call__ = tf.function(call_any_mode, input_signature=[WAVEFORM_SPEC, TRAINING_SPEC])
    serve = tf.function(lambda waveform: call(waveform, training=False), input_signature=[WAVEFORM_SPEC])
    features = tf.function(lambda waveform: {"log_mel": log_mel(check_waveform(waveform))},
                           input_signature=[WAVEFORM_SPEC])
    root.serve, root.log_mel = serve, features

    root.variables = variables
    root.trainable_variables = trainable_variables
    root.regularization_losses = []
    root.sample_rate = tf.Variable(ac.SAMPLE_RATE, trainable=False, name="sample_rate")
    root.embedding_size = tf.Variable(int(encoder.embedding_size), trainable=False, name="embedding_size")
    root.frame_hop_seconds = tf.Variable(float(encoder.frame_hop_seconds), trainable=False,
                                         dtype=tf.float64, name="frame_hop_seconds")
    root.encoder_name = tf.Variable(encoder_name, trainable=False, name="encoder_name")
    signatures = {"serving_default": serve, "log_mel": features}
    return root, signatures
