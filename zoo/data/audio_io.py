"""Reading audio files into float32 mono 16 kHz arrays, with errors that name the file.

WAV/FLAC/OGG (and MP3 where the bundled libsndfile supports it) are decoded with `soundfile`,
channels are averaged, other sample rates are resampled with `soxr` (its "HQ" quality). This module
does not import TensorFlow, so decoding workers start fast.
"""

import os

import numpy as np
import soundfile
import soxr

from zoo import audio_constants as ac
from zoo.errors import AudioFileError, ConfigError, WaveformError

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".m4a", ".opus")   # file names taken as audio


def read_audio(path, sample_rate=ac.SAMPLE_RATE, start=None, end=None):
    """Audio file -> float32 `[samples]` mono at `sample_rate` Hz, values as stored (in [-1, 1] for PCM).

    Args:
      path: a WAV, FLAC, OGG (or MP3, where libsndfile can) file.
      sample_rate: target rate in Hz; the file is resampled if it differs.
      start, end: optional segment in seconds (of the file's own time line).

    Raises:
      AudioFileError naming the file when it is missing, empty, cannot be decoded or holds NaN/Inf.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise AudioFileError(path, "file not found")
    if os.path.getsize(path) == 0:
        raise AudioFileError(path, "file is empty (0 bytes)")
    try:
        with soundfile.SoundFile(path) as f:
            rate = f.samplerate
            first = 0 if start is None else int(round(start * rate))
            last = f.frames if end is None else min(int(round(end * rate)), f.frames)
            f.seek(min(first, f.frames))
            audio = f.read(max(last - first, 0), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, ValueError, EOFError) as error:
        raise AudioFileError(path, f"cannot decode audio ({error})") from error
    if audio.shape[0] == 0:
        raise AudioFileError(path, "no samples" + (f" between {start} s and {end} s" if start or end else ""))
    audio = audio.mean(axis=1, dtype=np.float32)
    if not np.all(np.isfinite(audio)):
        raise AudioFileError(path, "contains NaN or Inf samples")
    if rate != sample_rate:
        audio = soxr.resample(audio, rate, sample_rate, quality="HQ").astype(np.float32)
    return audio


def write_wav(path, waveform, sample_rate=ac.SAMPLE_RATE):
    """Write float `[samples]` in [-1, 1] as 16-bit PCM WAV (values outside are clipped)."""
    pcm = np.clip(np.asarray(waveform, np.float32), -1.0, 32767 / 32768)
    soundfile.write(os.fspath(path), pcm, sample_rate, subtype="PCM_16")


def to_int16(waveform):
    """float `[samples]` in [-1, 1] -> int16 PCM (clipped)."""
    return np.clip(np.round(np.asarray(waveform, np.float64) * 32768.0), -32768, 32767).astype(np.int16)


# The layouts a caller may accept: what the error message says was expected, and the ranks allowed.
WAVEFORM_LAYOUTS = {
    "batch": ("[samples] or [batch, samples]", (1, 2)),      # -> [batch, samples]
    "clip": ("[samples] or [samples, channels]", (1, 2)),    # -> [samples], channels averaged
    "sounds": ("[n_sounds, samples] (rank 2)", (2,)),        # -> [n_sounds, samples]; n_sounds may be 0
}


def check_waveform(waveform, name="waveform", sample_rate=None, expected_rate=ac.SAMPLE_RATE, layout="batch"):
    """The zoo's one validator of waveforms from user code (NumPy arrays or tensors); returns float32.

    Refuses, with a `WaveformError` that starts with `name`: a `sample_rate` other than
    `expected_rate` (`expected_rate=None`: any positive rate), a non-float dtype, a rank the `layout`
    does not allow (`WAVEFORM_LAYOUTS`), empty clips, and NaN/Inf samples. `layout="batch"` returns
    `[batch, samples]` (one clip gains a batch axis), `"clip"` returns one mono `[samples]` clip,
    `"sounds"` (the HEAR API) returns `[n_sounds, samples]`.
    """
    if layout not in WAVEFORM_LAYOUTS:
        raise ConfigError(f"check_waveform: layout {layout!r}; expected one of {sorted(WAVEFORM_LAYOUTS)}")
    if sample_rate is not None:
        if expected_rate is not None and int(sample_rate) != expected_rate:
            raise WaveformError(
                f"{name}: sample rate {sample_rate} Hz, expected {expected_rate} Hz (resample first, "
                f"e.g. with zoo.data.audio_io.resample)")
        if int(sample_rate) <= 0:
            raise WaveformError(f"{name}: sample rate {sample_rate} Hz; expected a positive rate")
    array = waveform.numpy() if hasattr(waveform, "numpy") else np.asarray(waveform)
    if not np.issubdtype(array.dtype, np.floating):
        raise WaveformError(
            f"{name}: dtype {array.dtype}, expected float32 in [-1, 1] (int16 PCM: divide by 32768)")
    expected, ranks = WAVEFORM_LAYOUTS[layout]
    if array.ndim not in ranks:
        raise WaveformError(f"{name}: shape {array.shape}, expected {expected}")
    if layout != "clip" and array.ndim == 1:
        array = array[None]
    if layout == "sounds":          # no sounds at all is a valid (empty) batch; a sound of 0 samples is not
        empty = array.shape[0] > 0 and array.shape[1] == 0
    else:
        empty = array.size == 0
    if empty:
        raise WaveformError(f"{name}: empty clips (shape {array.shape}); each needs at least 1 sample")
    if not np.all(np.isfinite(array)):
        raise WaveformError(f"{name}: contains NaN or Inf samples")
    if layout == "clip" and array.ndim == 2:
        array = array.mean(axis=1)
    return array.astype(np.float32, copy=False)


def resample(waveform, from_rate, to_rate=ac.SAMPLE_RATE):
    """Resample float `[samples]` from `from_rate` to `to_rate` Hz with soxr."""
    if int(from_rate) == int(to_rate):
        return np.asarray(waveform, np.float32)
    return soxr.resample(np.asarray(waveform, np.float32), from_rate, to_rate, quality="HQ").astype(np.float32)
