"""Per-example standardisation: "we standardize each input spectrogram by its mean and standard
deviation" (paper section 3; docs/paper-facts.md section 3)."""

import keras
import tensorflow as tf

from zoo import audio_constants as ac
from zoo.errors import ConfigError


@keras.saving.register_keras_serializable(package="zoo")
class PerExampleStandardization(keras.layers.Layer):
    """`[batch, ...]` -> same shape, each example shifted to mean 0 and divided by max(std, std_floor).

    Mean and std are taken over every axis but the batch axis. `std_floor` (natural-log units for a
    log-mel input) keeps silent or near-silent clips from blowing rounding noise up to unit scale,
    which made TF and TFLite disagree (docs/design.md, "LiteRT notes").
    """

    def __init__(self, std_floor=ac.SPECTROGRAM_STD_FLOOR, **kwargs):
        super().__init__(**kwargs)
        if std_floor <= 0:
            raise ConfigError(f"std_floor must be > 0, got {std_floor}")
        self.std_floor = float(std_floor)

    def call(self, x):
        axes = list(range(1, len(x.shape)))
        mean = tf.reduce_mean(x, axis=axes, keepdims=True)
        centred = x - mean
        std = tf.sqrt(tf.reduce_mean(centred * centred, axis=axes, keepdims=True))
        return centred / tf.maximum(std, self.std_floor)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(std_floor=self.std_floor)
        return config
