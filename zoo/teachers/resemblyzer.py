"""Resemblyzer's speaker encoder (Wan et al. 2018, GE2E) as a Keras model, weights read from its wheel.

The network: 40 Slaney mel bands (power, no log) of 25-ms Hann windows every 10 ms -> three LSTM
layers of 256 -> Dense 256 + ReLU on the last state -> L2 normalisation. A clip is embedded as the
package does it: its volume raised to -30 dBFS (never lowered), then 1.6-s partials every 0.77 s
(the last kept when it covers >= 75 % of real audio, the clip zero-padded to it), the partials'
embeddings averaged and re-normalised. The package's voice-activity trimming (webrtcvad) is left
out: the pretraining pool's clips are short and mostly sound, and the trimming needs a C extension.
The test suite pins this port's output to the package's own (run with torch) on fixed clips.
"""

import numpy as np

from zoo.frontends.mel_matrix import slaney_mel_weight_matrix
from zoo.teachers.base import Teacher, TeacherSpec
from zoo.teachers.torch_file import read_torch_file
from zoo.teachers.wheels import wheel_member

SPEC = TeacherSpec(
    name="resemblyzer", what="speaker identity (GE2E speaker-verification LSTM)", dim=256,
    package="Resemblyzer", version="0.1.4",
    sha256="8f12eb2f1a9982d32e8db7856de754709b59c93a77bcf0ff536584b619a9dd1f",
    member="resemblyzer/pretrained.pt", licence="Apache-2.0",
    citation="Wan et al., Generalized End-to-End Loss for Speaker Verification, ICASSP 2018")

SAMPLE_RATE = 16000
N_FFT = 400                 # 25-ms windows
HOP = 160                   # 10 ms
N_MELS = 40
HIDDEN = 256
LAYERS = 3
PARTIAL_FRAMES = 160        # 1.6 s per partial
PARTIALS_PER_SECOND = 1.3
MIN_COVERAGE = 0.75
TARGET_DBFS = -30.0
INT16_MAX = 32767


def normalise_volume(clip):
    """Raise a clip's RMS to `TARGET_DBFS` (int16 full scale); louder clips and silence are left as they are."""
    rms = np.sqrt(np.mean((clip.astype(np.float64) * INT16_MAX) ** 2))
    if rms == 0:
        return clip
    change_db = TARGET_DBFS - 20 * np.log10(rms / INT16_MAX)
    return clip if change_db < 0 else (clip * 10 ** (change_db / 20)).astype(np.float32)


def mel_frames(clip):
    """float32 `[samples]` -> `[frames, 40]` power mel (centred frames, zero padding, as librosa >= 0.10)."""
    padded = np.pad(clip.astype(np.float32), N_FFT // 2)
    count = 1 + (padded.size - N_FFT) // HOP
    index = np.arange(N_FFT)[None, :] + HOP * np.arange(count)[:, None]
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)      # periodic Hann
    power = np.abs(np.fft.rfft(padded[index] * window, axis=-1)) ** 2
    return (power @ slaney_mel_weight_matrix(N_MELS, N_FFT, SAMPLE_RATE)).astype(np.float32)


def partial_starts(samples):
    """Start frames of the 1.6-s partials of a clip of `samples`, and the samples it is padded to."""
    frames = int(np.ceil((samples + 1) / HOP))
    step = int(np.round(SAMPLE_RATE / PARTIALS_PER_SECOND / HOP))
    starts = list(range(0, max(1, frames - PARTIAL_FRAMES + step + 1), step))
    last_start = starts[-1] * HOP
    coverage = (samples - last_start) / (PARTIAL_FRAMES * HOP)
    if coverage < MIN_COVERAGE and len(starts) > 1:
        starts = starts[:-1]
    return starts, (starts[-1] + PARTIAL_FRAMES) * HOP


def build_network(state):
    """The Keras network `[batch, frames, 40]` -> L2-normalised `[batch, 256]`, weights from `state`."""
    import keras
    network = keras.Sequential(name="resemblyzer")
    network.add(keras.Input((None, N_MELS)))
    for i in range(LAYERS):
        network.add(keras.layers.LSTM(HIDDEN, return_sequences=i < LAYERS - 1, name=f"lstm_{i}"))
    network.add(keras.layers.Dense(HIDDEN, activation="relu", name="linear"))
    network.add(keras.layers.UnitNormalization(name="l2"))
    for i in range(LAYERS):   # torch's gate order (input, forget, cell, output) is Keras'; its two biases add
        network.get_layer(f"lstm_{i}").set_weights([
            state[f"lstm.weight_ih_l{i}"].T, state[f"lstm.weight_hh_l{i}"].T,
            state[f"lstm.bias_ih_l{i}"] + state[f"lstm.bias_hh_l{i}"]])
    network.get_layer("linear").set_weights([state["linear.weight"].T, state["linear.bias"]])
    return network


class Resemblyzer(Teacher):
    spec = SPEC

    def __init__(self, weights_path=None, batch_size=256):
        path = weights_path or wheel_member(SPEC.package, SPEC.version, SPEC.sha256, SPEC.member)
        self.network = build_network(read_torch_file(path)["model_state"])
        self.batch_size = int(batch_size)

    def embed_batch(self, clips):
        partials, owner = [], []
        for i, clip in enumerate(clips):
            starts, padded_to = partial_starts(clip.size)
            clip = normalise_volume(np.asarray(clip, np.float32))
            mels = mel_frames(np.pad(clip, (0, max(0, padded_to - clip.size))))
            for start in starts:
                partials.append(mels[start:start + PARTIAL_FRAMES])
                owner.append(i)
        partials, owner = np.stack(partials), np.asarray(owner)
        embeddings = np.concatenate([np.asarray(self.network(partials[i:i + self.batch_size], training=False))
                                     for i in range(0, len(partials), self.batch_size)])
        out = np.stack([embeddings[owner == i].mean(0) for i in range(len(clips))])
        return (out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)).astype(np.float32)
