"""Basic Pitch (Bittner et al. 2022): Spotify's polyphonic note and pitch network, run from the
SavedModel inside its wheel (TensorFlow only; the package itself is not installed).

The network takes 22.05-kHz audio in windows of 43,844 samples (about 2 s) and gives, per 11.6-ms
frame, pitch-contour posteriors (264 bins, a third of a semitone each) and note posteriors (88
piano keys). A clip's embedding is their mean over the frames that hold the clip's audio: 352
numbers saying which pitches sound, and how much. The clip is resampled from 16 kHz and cut into
consecutive windows (the last zero-padded); the package's overlapping windows only matter for
note timing, which a clip-level mean does not use.
"""

import numpy as np

from zoo.data.audio_io import resample
from zoo.teachers.base import Teacher, TeacherSpec
from zoo.teachers.wheels import wheel_member

SPEC = TeacherSpec(
    name="basic_pitch", what="pitch content (mean pitch-contour and note posteriors)", dim=264 + 88,
    package="basic-pitch", version="0.4.0",
    sha256="738adb503aae7fdfc7d1e1511aa0ce35052315f260a19531ef4c356708425db0",
    member="basic_pitch/saved_models/icassp_2022/nmp", licence="Apache-2.0",
    citation="Bittner et al., A Lightweight Instrument-Agnostic Model for Polyphonic Note "
             "Transcription and Multipitch Estimation, ICASSP 2022")

SAMPLE_RATE = 22050
WINDOW = 43844              # samples per network call
FRAMES = 172                # output frames per window
HOP = 256                   # samples per output frame


class BasicPitch(Teacher):
    spec = SPEC

    def __init__(self, weights_path=None, batch_size=16):
        import tensorflow as tf
        path = weights_path or wheel_member(SPEC.package, SPEC.version, SPEC.sha256, SPEC.member)
        self.network = tf.saved_model.load(path).signatures["serving_default"]
        self.batch_size = int(batch_size)

    def embed_batch(self, clips):
        import tensorflow as tf
        windows, owner, frames = [], [], []
        for i, clip in enumerate(clips):
            audio = resample(np.asarray(clip, np.float32), 16000, SAMPLE_RATE)
            count = max(1, -(-audio.size // WINDOW))
            padded = np.pad(audio, (0, count * WINDOW - audio.size))
            for w in range(count):
                windows.append(padded[w * WINDOW:(w + 1) * WINDOW])
                owner.append(i)
                frames.append(int(min(FRAMES, max(1, -(-(audio.size - w * WINDOW) // HOP)))))
        windows = np.stack(windows)[..., None]
        outputs = []
        for start in range(0, len(windows), self.batch_size):
            out = self.network(tf.constant(windows[start:start + self.batch_size]))
            outputs.append(np.concatenate([out["contour"].numpy(), out["note"].numpy()], axis=-1))
        outputs = np.concatenate(outputs)
        sums, counts = np.zeros((len(clips), SPEC.dim)), np.zeros(len(clips))
        for row, (i, n) in enumerate(zip(owner, frames)):
            sums[i] += outputs[row, :n].sum(0)
            counts[i] += n
        return (sums / counts[:, None]).astype(np.float32)
