"""SincNet's learnable band-pass filterbank (Ravanelli & Bengio, "Speaker Recognition from Raw
Waveform with SincNet", SLT 2018).

Each filter is the difference of two windowed sinc low-pass filters, parameterised only by its low
cut-off and its band width (2 numbers per filter):

    g[n] = (sin(2 pi f_high n / sr) - sin(2 pi f_low n / sr)) / (pi n) * hamming[n] / (2 (f_high - f_low))

with f_low = min_low_hz + |low|, f_high = clip(f_low + min_band_hz + |band|, min_low_hz, sr / 2),
initial cut-offs spaced evenly on the mel scale, and a symmetric kernel (the left half is computed,
mirrored, and the centre tap is 1 after normalisation).
"""

import keras
import numpy as np
import tensorflow as tf

from zoo import audio_constants as ac
from zoo.frontends.mel_matrix import hz_to_mel, mel_to_hz
from zoo.errors import ConfigError

# SincNet's initial band range: lowest cut-off 30 Hz, highest edge sr/2 - (min_low + min_band).
_INIT_LOW_HZ = 30.0


@keras.saving.register_keras_serializable(package="zoo")
class SincConv1D(keras.layers.Layer):
    """Waveform `[batch, samples]` or `[batch, samples, 1]` -> `[batch, ceil(samples / stride), filters]`.

    Args:
      filters: number of band-pass filters (SincNet: 80).
      kernel_size: taps per filter, odd (SincNet: 251, about 16 ms at 16 kHz).
      stride: hop between output frames, in samples.
      sample_rate: Hz.
      min_low_hz, min_band_hz: constraints on the lowest cut-off and the narrowest band (SincNet: 50 Hz).
    """

    def __init__(self, filters=80, kernel_size=251, stride=1, sample_rate=ac.SAMPLE_RATE,
                 min_low_hz=50.0, min_band_hz=50.0, **kwargs):
        super().__init__(**kwargs)
        if kernel_size < 3 or kernel_size % 2 == 0:
            raise ConfigError(f"kernel_size must be odd and >= 3 (symmetric filters); got {kernel_size}")
        if filters < 1 or stride < 1:
            raise ConfigError(f"filters and stride must be >= 1; got filters={filters}, stride={stride}")
        if min_low_hz + min_band_hz >= sample_rate / 2:
            raise ConfigError(
                f"min_low_hz + min_band_hz ({min_low_hz} + {min_band_hz}) must be below Nyquist "
                f"({sample_rate / 2} Hz)")
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.stride = int(stride)
        self.sample_rate = int(sample_rate)
        self.min_low_hz = float(min_low_hz)
        self.min_band_hz = float(min_band_hz)
        half = self.kernel_size // 2
        # Left half of the time axis, in radians per Hz: 2 pi n / sr for n = -half .. -1.
        self._t_left = (2.0 * np.pi * np.arange(-half, 0) / self.sample_rate).astype(np.float32)
        n = np.linspace(0.0, self.kernel_size / 2.0 - 1.0, half)
        self._window_left = (0.54 - 0.46 * np.cos(2.0 * np.pi * n / self.kernel_size)).astype(np.float32)

    def build(self, input_shape):
        high = self.sample_rate / 2.0 - (self.min_low_hz + self.min_band_hz)
        edges_hz = mel_to_hz(np.linspace(hz_to_mel(_INIT_LOW_HZ), hz_to_mel(high), self.filters + 1))
        self.low_hz = self.add_weight(
            name="low_hz", shape=(self.filters,),
            initializer=keras.initializers.Constant(edges_hz[:-1].astype(np.float32)))
        self.band_hz = self.add_weight(
            name="band_hz", shape=(self.filters,),
            initializer=keras.initializers.Constant(np.diff(edges_hz).astype(np.float32)))

    def cutoffs_hz(self):
        """Current (low, high) cut-offs in Hz after the constraints, each `[filters]` (float32 even
        under mixed precision: filter design in bfloat16 would be far too coarse)."""
        low = self.min_low_hz + tf.abs(tf.cast(self.low_hz, tf.float32))
        high = tf.clip_by_value(low + self.min_band_hz + tf.abs(tf.cast(self.band_hz, tf.float32)),
                                self.min_low_hz, self.sample_rate / 2.0)
        return low, high

    def kernels(self):
        """The band-pass filters, `[kernel_size, filters]`, each with a centre tap of 1."""
        low, high = self.cutoffs_hz()
        band = high - low
        t = tf.constant(self._t_left)[:, None]                      # [half, 1]
        left = (tf.sin(t * high[None, :]) - tf.sin(t * low[None, :])) / (t / 2.0)
        left = left * tf.constant(self._window_left)[:, None]
        centre = 2.0 * band[None, :]
        full = tf.concat([left, centre, tf.reverse(left, axis=[0])], axis=0)
        return full / (2.0 * band[None, :])

    def call(self, waveform):
        x = tf.convert_to_tensor(waveform)
        if x.shape.rank == 2:
            x = tf.expand_dims(x, -1)
        if x.shape.rank != 3 or x.shape[-1] != 1:
            raise ConfigError(
                f"SincConv1D expects waveform [batch, samples] or [batch, samples, 1]; got {x.shape}")
        kernel = tf.cast(self.kernels(), x.dtype)[:, None, :]
        return tf.nn.conv1d(x, kernel, stride=self.stride, padding="SAME")

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, kernel_size=self.kernel_size, stride=self.stride,
                      sample_rate=self.sample_rate, min_low_hz=self.min_low_hz,
                      min_band_hz=self.min_band_hz)
        return config
