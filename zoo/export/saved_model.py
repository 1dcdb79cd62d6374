"""SavedModel export of an encoder under the serving contract, plus a `.keras` copy beside it.

    export_saved_model(encoder, "exports/sf_tiny", encoder_name="nf_slowfast_tiny")
    obj = hub.load("exports/sf_tiny")                  # or tf.saved_model.load
    obj(waveform)["embedding"]                         # waveform float32 [batch, samples], 16 kHz
    keras.layers.TFSMLayer("exports/sf_tiny", call_endpoint="serving_default")   # Keras 3
    hub.KerasLayer("exports/sf_tiny", trainable=True, output_key="embedding")   # tf_keras fine-tuning
    keras.saving.load_model("exports/sf_tiny/encoder.keras")                    # Keras 3 fine-tuning
"""

import os

import keras
import tensorflow as tf

from zoo.export.serving import serving_module
from zoo.errors import ConfigError

KERAS_FILE = "encoder.keras"


def export_saved_model(encoder, out_dir, encoder_name):
    """Write the SavedModel into `out_dir` (created) and `out_dir/encoder.keras`; returns `out_dir`."""
    if keras.mixed_precision.global_policy().name != "float32":
        raise ConfigError(f"export runs in float32; the global dtype policy is "
                         f"{keras.mixed_precision.global_policy().name!r}: set it back to 'float32' first")
    os.makedirs(out_dir, exist_ok=True)
    root, signatures = serving_module(encoder, encoder_name)
    # Custom gradients (e.g. tf.nn.silu's) are not stored: they capture constants the saver refuses, and
    # the loaded graph differentiates the plain ops instead (same values, hub.KerasLayer fine-tunes).
    tf.saved_model.save(root, out_dir, signatures=signatures,
                        options=tf.saved_model.SaveOptions(experimental_custom_gradients=False))
    encoder.save(os.path.join(out_dir, KERAS_FILE))
    return out_dir
