"""The representative set of a full-integer LiteRT conversion: real clips whose activations fix each
tensor's int8 range. A bad set gives a file that is quietly wrong, so it is checked first.

    clips = representative_clips("open-audio", count=64)          # the corpus an encoder trained on
    clips = representative_clips("my_clips/", count=64)           # or a folder of audio files
    clips = check_representative(arrays, name="mine", sample_rate=16000)   # arrays from user code

Every clip is float32 mono 16 kHz, cut (or repeated) to `seconds`: the quantisation debugger feeds
one input shape. Refused, with a `WaveformError` that names the set: an empty set, clips at another
sample rate, NaN or Inf samples, and a set with no audible clip. Silent clips (peak below
`SILENCE_PEAK`, -80 dBFS) calibrate nothing; they are dropped and counted, and the set is refused
when no audible clip is left.
"""

import csv
import os

import numpy as np

from zoo import audio_constants as ac
from zoo.data.audio_io import AUDIO_EXTENSIONS, check_waveform, read_audio
from zoo.errors import AudioFileError, WaveformError

SILENCE_PEAK = 1e-4          # -80 dBFS
CLIP_SECONDS = 3.0           # each calibration clip, cut or repeated to this length


def check_representative(clips, name="representative set", sample_rate=ac.SAMPLE_RATE, seconds=CLIP_SECONDS):
    """`clips` (a list of 1-D arrays) -> [float32 clips of `seconds` at 16 kHz], silent ones dropped;
    returns (clips, dropped). Raises `WaveformError` naming `name` (module docstring)."""
    if sample_rate != ac.SAMPLE_RATE:
        raise WaveformError(f"{name}: sample rate {sample_rate} Hz; the encoders take {ac.SAMPLE_RATE} Hz "
                            "(resample first, e.g. with zoo.data.audio_io.resample)")
    clips = list(clips)
    if not clips:
        raise WaveformError(f"{name}: empty; full-integer calibration needs real clips (64 is the default)")
    length, kept, dropped = int(seconds * ac.SAMPLE_RATE), [], 0
    for index, clip in enumerate(clips):
        clip = check_waveform(clip, f"{name}, clip {index}", layout="clip")
        if float(np.max(np.abs(clip))) < SILENCE_PEAK:
            dropped += 1
            continue
        kept.append(np.resize(clip, length).astype(np.float32))
    if not kept:
        raise WaveformError(f"{name}: all {len(clips)} clips are silent (peak below -80 dBFS); calibration "
                            "needs audible clips")
    return kept, dropped


def _corpus_files(source):
    """Audio files of `source`: a folder (searched recursively), or a corpus name in the cache
    (`open-audio`, `open-audio-xl`: its pretraining manifest). Raises `WaveformError` when there are none."""
    if os.path.isdir(source):
        files = sorted(os.path.join(root, f) for root, _, names in os.walk(source) for f in names
                       if f.lower().endswith(AUDIO_EXTENSIONS))
    else:
        from zoo.cache import cache_dir
        root = cache_dir(source)
        manifest = os.path.join(root, "pretrain.csv")
        if not os.path.exists(manifest):
            raise WaveformError(f"representative set {source!r}: not a folder, and no corpus of that name in the "
                                f"cache ({manifest} missing; `hares-zoo prepare --corpus={source}` builds one)")
        with open(manifest) as f:
            files = [os.path.join(root, row["path"]) for row in csv.DictReader(f)]
    if not files:
        raise WaveformError(f"representative set {source!r}: empty (no audio files)")
    return files


def _read_spread(files, count, seconds, name):
    """Up to `count` clips from files spread evenly over `files`; unreadable ones skipped and counted."""
    step = max(1, len(files) // (2 * count))
    clips, unreadable = [], 0
    for path in files[::step]:
        if len(clips) == count:
            break
        try:
            clips.append(read_audio(path)[: int(seconds * ac.SAMPLE_RATE)])
        except AudioFileError:     # one bad file never stops calibration
            unreadable += 1
    kept, dropped = check_representative(clips, name, seconds=seconds)
    return kept, dropped + unreadable


def representative_clips(source, count=64, seconds=CLIP_SECONDS, offset=0):
    """`count` clips spread evenly over the files of `source` (`_corpus_files`), from `offset`,
    checked by `check_representative`; returns (clips, dropped). Unreadable files are skipped and
    counted with the silent ones."""
    files = _corpus_files(source)
    return _read_spread(files[offset:], count, seconds, f"representative set {source!r}")


def calibration_and_held_out(source, count=64, held_out=32, seconds=CLIP_SECONDS):
    """Calibration clips and held-out clips of `source` from disjoint files (the even and the odd
    files of its list), so an export measures its int8 file on audio the calibration never read;
    returns (calibration, held_out, dropped). `held_out` is [] when `source` has a single file."""
    files = _corpus_files(source)
    calibration, dropped = _read_spread(files[0::2], count, seconds, f"representative set {source!r}")
    held = []
    if files[1::2] and held_out:
        held, _ = _read_spread(files[1::2], held_out, seconds, f"held-out clips of {source!r}")
    return calibration, held, dropped
