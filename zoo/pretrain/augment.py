"""Pretraining augmentations, as Keras layers with explicit stateless seeds.

Each layer takes `seed`, an int32 `[2]` tensor; the objectives derive it from (run seed, optimizer
step, replica id, purpose), so a resumed run draws exactly the augmentations it would have drawn,
and replicas never share draws. Random crops are done in `tf.data` (`zoo.data.pipeline`).

- `ExampleMixing` (the paper's "example mixing", docs/paper-facts.md section 3): each clip is mixed
  with a partner clip drawn by a random permutation of the batch,
      x' = lam * x + (1 - lam) * x[perm],   lam ~ Beta(5, 2) per example (mean 0.71),
  on waveforms, so the clip itself dominates. The paper gives the ratio's law but not the formula;
  this is mixup's formula (PANNs, the paper's ref. [11]) with the ratio it states.
- `RandomGain`: x' = clip(x * 10^(g / 20), -1, 1), g ~ U(-max_db, max_db) dB per example (not in the paper).
- `SpecAugment`: on log-mel `[batch, frames, mel]`, `time_masks` spans of up to `time_mask_frames`
  frames and `freq_masks` bands of up to `freq_mask_bins` mel bins set to 0 (the mean after per-example
  standardisation). Not in the paper; applied after the frontend during training only.
- `ResizeCropFader`: BYOL-A v2's two spectrogram augmentations on the standardised log-mel (not in
  the paper). Random resize crop: the spectrogram sits in the middle of a zero canvas 1.5x its
  length; a window of 0.6-1.5x its frames and 0.6-1.5x its mel bands (clipped to the canvas) is
  cut at a random place and resized back (bilinear; BYOL-A uses bicubic, which
  `tf.image.crop_and_resize` lacks). Random linear fader: a ramp from `head` to `tail`, each
  ~ U(-1, 1), added along time (a fade in or out in log energy).
"""

import keras
import tensorflow as tf

from zoo.data.seeded import MIX_ALPHA, MIX_BETA, fold_seed, stateless_beta
from zoo.errors import ConfigError


@keras.saving.register_keras_serializable(package="zoo")
class ExampleMixing(keras.layers.Layer):
    """`[batch, samples]` -> same shape: each clip mixed with a random partner (module docstring)."""

    def __init__(self, alpha=MIX_ALPHA, beta=MIX_BETA, **kwargs):
        super().__init__(**kwargs)
        if alpha <= 0 or beta <= 0:
            raise ConfigError(f"Beta parameters must be > 0, got alpha={alpha}, beta={beta}")
        self.alpha, self.beta = float(alpha), float(beta)

    def call(self, waveform, seed):
        batch = tf.shape(waveform)[0]
        lam = stateless_beta([batch, 1], self.alpha, self.beta, fold_seed(seed, 3))
        order = tf.argsort(tf.random.stateless_uniform([batch], fold_seed(seed, 4)))
        partner = tf.gather(waveform, order)
        return tf.cast(lam, waveform.dtype) * waveform + tf.cast(1 - lam, waveform.dtype) * partner

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "beta": self.beta}


@keras.saving.register_keras_serializable(package="zoo")
class RandomGain(keras.layers.Layer):
    """`[batch, samples]` -> same shape, scaled by a random gain in dB and clipped to [-1, 1]."""

    def __init__(self, max_db=6.0, **kwargs):
        super().__init__(**kwargs)
        if max_db < 0:
            raise ConfigError(f"max_db must be >= 0, got {max_db}")
        self.max_db = float(max_db)

    def call(self, waveform, seed):
        db = tf.random.stateless_uniform([tf.shape(waveform)[0], 1], seed, -self.max_db, self.max_db)
        return tf.clip_by_value(waveform * tf.cast(10.0 ** (db / 20.0), waveform.dtype), -1.0, 1.0)

    def get_config(self):
        return {**super().get_config(), "max_db": self.max_db}


@keras.saving.register_keras_serializable(package="zoo")
class SpecAugment(keras.layers.Layer):
    """`[batch, frames, mel]` -> same shape with random time spans and mel bands zeroed."""

    def __init__(self, time_masks=2, time_mask_frames=20, freq_masks=2, freq_mask_bins=10, **kwargs):
        super().__init__(**kwargs)
        self.time_masks, self.time_mask_frames = int(time_masks), int(time_mask_frames)
        self.freq_masks, self.freq_mask_bins = int(freq_masks), int(freq_mask_bins)

    @staticmethod
    def _masks(count, max_width, size, batch, seed):
        """float `[batch, size]`: 1 where kept, 0 inside `count` random spans of width < max_width + 1."""
        keep = tf.ones([batch, size])
        positions = tf.range(size)[None]
        for i in range(count):
            width = tf.random.stateless_uniform([batch, 1], fold_seed(seed, i, 1), 0, max_width + 1, tf.int32)
            start = tf.random.stateless_uniform([batch, 1], fold_seed(seed, i, 2), 0, tf.int32.max, tf.int32)
            start = start % tf.maximum(size - width + 1, 1)
            inside = (positions >= start) & (positions < start + width)
            keep *= 1.0 - tf.cast(inside, tf.float32)
        return keep

    def call(self, spectrogram, seed):
        shape = tf.shape(spectrogram)
        time = self._masks(self.time_masks, self.time_mask_frames, shape[1], shape[0], fold_seed(seed, 5))
        freq = self._masks(self.freq_masks, self.freq_mask_bins, shape[2], shape[0], fold_seed(seed, 6))
        keep = time[:, :, None] * freq[:, None, :]
        return spectrogram * tf.cast(keep, spectrogram.dtype)

    def get_config(self):
        return {**super().get_config(), "time_masks": self.time_masks, "time_mask_frames": self.time_mask_frames,
                "freq_masks": self.freq_masks, "freq_mask_bins": self.freq_mask_bins}


@keras.saving.register_keras_serializable(package="zoo")
class ResizeCropFader(keras.layers.Layer):
    """`[batch, frames, mel]` -> same shape: random resize crop, then random linear fader (module docstring)."""

    def __init__(self, canvas_time=1.5, scale=(0.6, 1.5), fader_gain=1.0, **kwargs):
        super().__init__(**kwargs)
        self.canvas_time, self.scale, self.fader_gain = float(canvas_time), tuple(scale), float(fader_gain)

    def call(self, spectrogram, seed):
        dtype = spectrogram.dtype
        x = tf.cast(spectrogram, tf.float32)
        batch, frames, bands = tf.shape(x)[0], tf.shape(x)[1], tf.shape(x)[2]
        canvas = tf.cast(tf.round(tf.cast(frames, tf.float32) * self.canvas_time), tf.int32)
        left = (canvas - frames) // 2
        x = tf.pad(x, [[0, 0], [left, canvas - frames - left], [0, 0]])
        # window sizes as fractions of the canvas (time) and of the bands (mel), then their corners
        time_size = tf.minimum(tf.random.stateless_uniform([batch], fold_seed(seed, 1), *self.scale)
                               * tf.cast(frames, tf.float32) / tf.cast(canvas, tf.float32), 1.0)
        mel_size = tf.minimum(tf.random.stateless_uniform([batch], fold_seed(seed, 2), *self.scale), 1.0)
        time_start = tf.random.stateless_uniform([batch], fold_seed(seed, 3)) * (1.0 - time_size)
        mel_start = tf.random.stateless_uniform([batch], fold_seed(seed, 4)) * (1.0 - mel_size)
        boxes = tf.stack([time_start, mel_start, time_start + time_size, mel_start + mel_size], axis=1)
        x = tf.image.crop_and_resize(x[..., None], boxes, tf.range(batch), tf.stack([frames, bands]))[..., 0]
        ends = tf.random.stateless_uniform([batch, 2], fold_seed(seed, 5), -self.fader_gain, self.fader_gain)
        ramp = tf.linspace(0.0, 1.0, frames)[None, :]
        x += (ends[:, :1] + (ends[:, 1:] - ends[:, :1]) * ramp)[:, :, None]
        return tf.cast(x, dtype)

    def get_config(self):
        return {**super().get_config(), "canvas_time": self.canvas_time, "scale": list(self.scale),
                "fader_gain": self.fader_gain}
