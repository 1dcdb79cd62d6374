"""Log-mel spectrogram as a Keras layer that converts to TFLite with builtin ops only.

Two ways to the STFT, numerically the same (1e-6 relative), both builtin ops in LiteRT
(docs/design.md, "LiteRT notes"):
  `stft="fft"` (default)  frames (`tf.signal.frame`), Hann window, `tf.signal.rfft` (LiteRT's
                          RFFT2D): no weights, about 4x fewer CPU cycles than the convolution in
                          TensorFlow at 16 kHz, and nothing a quantiser can touch.
  `stft="conv"`           one strided 1-D convolution whose kernels are the Hann-windowed DFT basis
                          (cosine and sine rows), lowered to one CONV_2D: no complex dtype and no FFT
                          op, for runtimes without one.

Framing rule (centred frames): the waveform is zero-padded by `window // 2` samples on both sides,
so frame `i` is centred on sample `i * hop` (time `i * hop_seconds`) and

    frames = 1 + samples // hop          (e.g. 1 s at 16 kHz, 10 ms hop -> 101 frames)

Any clip of at least one sample gives at least one frame; nothing is rejected for being short.
"""

import keras
import numpy as np
import tensorflow as tf

from zoo import audio_constants as ac
from zoo.frontends.mel_matrix import mel_weight_matrix
from zoo.errors import ConfigError

STFT_METHODS = ("fft", "conv")


def hann_window(length):
    """Periodic Hann window (as `tf.signal.hann_window(periodic=True)`), float64 `[length]`."""
    n = np.arange(length, dtype=np.float64)
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * n / length)


def windowed_dft_kernel(window_length, fft_length):
    """Real and imaginary DFT rows times the window, float64 `[window_length, 2 * (fft_length // 2 + 1)]`.

    A frame of `window_length` samples zero-padded to `fft_length` has DFT bin k equal to
    sum_n x[n] w[n] exp(-2 pi i k n / fft_length); the zero padding contributes nothing, so the
    kernel only needs `window_length` rows.
    """
    n = np.arange(window_length, dtype=np.float64)[:, None]
    k = np.arange(fft_length // 2 + 1, dtype=np.float64)[None, :]
    phase = 2.0 * np.pi * n * k / fft_length
    window = hann_window(window_length)[:, None]
    return np.concatenate([window * np.cos(phase), -window * np.sin(phase)], axis=1)


@keras.saving.register_keras_serializable(package="zoo")
class LogMelSpectrogram(keras.layers.Layer):
    """Waveform `[batch, samples]` (16 kHz, float32 in [-1, 1]) -> log-mel `[batch, frames, n_mels]`.

    Output is `log(mel_power + log_offset)` in natural-log units, with mel power from the
    Hann-windowed power spectrum. Defaults are the paper's (25 ms window, 10 ms hop, 80 bins at
    16 kHz; docs/paper-facts.md section 3); `n_mels=128` gives the paper's Table 5 input.
    """

    def __init__(self, sample_rate=ac.SAMPLE_RATE, window_seconds=ac.WINDOW_SECONDS,
                 hop_seconds=ac.HOP_SECONDS, fft_length=ac.FFT_LENGTH, n_mels=ac.N_MELS,
                 fmin=ac.MEL_FMIN, fmax=ac.MEL_FMAX, log_offset=ac.LOG_OFFSET, constants_at_run_time=False,
                 stft="fft", **kwargs):
        super().__init__(**kwargs)
        if stft not in STFT_METHODS:
            raise ConfigError(f"stft={stft!r}; expected one of {STFT_METHODS}")
        self.stft = stft
        self.constants_at_run_time = bool(constants_at_run_time)
        self.sample_rate = int(sample_rate)
        self.window_seconds = float(window_seconds)
        self.hop_seconds = float(hop_seconds)
        self.fft_length = int(fft_length)
        self.n_mels = int(n_mels)
        self.fmin = float(fmin)
        self.fmax = float(fmax)
        self.log_offset = float(log_offset)
        self.window_length = int(round(self.window_seconds * self.sample_rate))
        self.hop_length = int(round(self.hop_seconds * self.sample_rate))
        if self.hop_length < 1 or self.window_length < self.hop_length:
            raise ConfigError(
                f"need 1 <= hop <= window in samples; got window={self.window_length}, "
                f"hop={self.hop_length} at sample_rate={self.sample_rate}")
        if self.fft_length < self.window_length:
            raise ConfigError(
                f"fft_length={self.fft_length} is shorter than the window ({self.window_length} samples)")
        if self.log_offset <= 0:
            raise ConfigError(f"log_offset must be > 0, got {self.log_offset}")
        self._window = hann_window(self.window_length).astype(np.float32)
        self._dft = (windowed_dft_kernel(self.window_length, self.fft_length).astype(np.float32)
                     if stft == "conv" else None)
        self._mel = mel_weight_matrix(self.n_mels, self.fft_length // 2 + 1, self.sample_rate,
                                      self.fmin, self.fmax).astype(np.float32)

    def _matrix(self, array, like):
        """The DFT or mel matrix as a graph constant, or with `constants_at_run_time` derived from the
        input at run time (`matrix * (1 + min(|x|, 0))`, `x` one input value, which no optimiser
        folds). A TFLite converter then cannot see the matrices as weights, so int8 quantisation
        leaves the frontend in float (quantising it raises the spectral noise floor to about -48 dB,
        which the log turns into errors of several nats). The LiteRT exporter sets it for its int8
        file only (`zoo.export.tflite`): a run-time matrix also keeps LiteRT's XNNPACK delegate from
        taking the op. The input must then be finite (the exporter zeroes NaN/Inf first)."""
        matrix = tf.constant(array)
        if self.constants_at_run_time:
            matrix = matrix * (1.0 + tf.minimum(tf.abs(like[0, 0]), 0.0))
        return matrix

    def num_frames(self, num_samples):
        """Frames produced for a clip of `num_samples` samples (centred framing)."""
        return 1 + int(num_samples) // self.hop_length

    def power_spectrogram(self, waveform):
        """Waveform `[batch, samples]` -> Hann-windowed power spectrum `[batch, frames, fft_length//2+1]`."""
        waveform = tf.convert_to_tensor(waveform)
        if waveform.shape.rank != 2:
            raise ConfigError(
                f"LogMelSpectrogram expects waveform of shape [batch, samples]; got shape {waveform.shape}")
        waveform = tf.cast(waveform, tf.float32)
        half = self.window_length // 2
        padded = tf.pad(waveform, [[0, 0], [half, self.window_length - half]])
        if self.stft == "fft":
            frames = tf.signal.frame(padded, self.window_length, self.hop_length) * self._window
            spectrum = tf.signal.rfft(frames, fft_length=[self.fft_length])
            return tf.math.real(spectrum) ** 2 + tf.math.imag(spectrum) ** 2
        kernel = self._matrix(self._dft, waveform)[:, None, :]
        spectrum = tf.nn.conv1d(tf.expand_dims(padded, -1), kernel, stride=self.hop_length, padding="VALID")
        bins = self.fft_length // 2 + 1
        real, imag = spectrum[..., :bins], spectrum[..., bins:]
        return real * real + imag * imag

    def call(self, waveform):
        power = self.power_spectrogram(waveform)
        mel = tf.tensordot(power, self._matrix(self._mel, power[:, :, 0]), axes=1)
        return tf.math.log(mel + self.log_offset)

    def compute_output_shape(self, input_shape):
        samples = input_shape[1]
        frames = None if samples is None else self.num_frames(samples)
        return (input_shape[0], frames, self.n_mels)

    def get_config(self):
        config = super().get_config()
        config.update(sample_rate=self.sample_rate, window_seconds=self.window_seconds,
                      hop_seconds=self.hop_seconds, fft_length=self.fft_length, n_mels=self.n_mels,
                      fmin=self.fmin, fmax=self.fmax, log_offset=self.log_offset,
                      constants_at_run_time=self.constants_at_run_time, stft=self.stft)
        return config
