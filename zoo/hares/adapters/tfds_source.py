"""HARES tasks read from TensorFlow Datasets prepared in a local `data_dir` (nothing is downloaded).

tensorflow-datasets has four of the paper's sets (checked against tensorflow-datasets 4.9):

| HARES task         | TFDS name         | label                    | note |
|---|---|---|---|
| speech_commands_v1 | `speech_commands` | `label` (12 classes)     | TFDS builds the 12-class task from the v0.02 recordings; the paper's v1 uses v0.01 (give the release folder for that) |
| nsynth_instrument  | `nsynth`          | `instrument/family` (11) | |
| nsynth_pitch       | `nsynth`          | `pitch` (128)            | |
| voxforge           | `voxforge`        | `label` (6 languages)    | |
| voxceleb           | `voxceleb`        | `label`                  | TFDS needs VoxCeleb1 downloaded by hand first |

ESC-50, AudioSet (audio), MagnaTagATune, Fluent Speech Commands, TUT18, Birdsong and Speech
Commands v2 (35 words) are not in TFDS: their file adapters read the release layouts.
"""

import dataclasses
import hashlib
from typing import Callable

import numpy as np

from zoo import audio_constants as ac
from zoo.errors import ZooError
from zoo.hares.adapters.base import MissingDataError

LAYOUT = """\
  SOURCE/<tfds name>/<config>/<version>/   a data set prepared by `tfds build <name> --data_dir=SOURCE`
                                           (or tfds.load(..., data_dir=SOURCE)); nothing is downloaded"""
SPLITS = (("train", "train"), ("validation", "valid"), ("valid", "valid"), ("test", "test"))


@dataclasses.dataclass(frozen=True)
class TfdsSource:
    task: str
    tfds_name: str
    label: Callable        # (example dict of NumPy values, features) -> label string
    vocabulary: Callable   # features -> [label strings]


def _class_names(feature):
    return [str(n) for n in feature.names]


TFDS_SOURCES = {
    "speech_commands_v1": TfdsSource("speech_commands_v1", "speech_commands",
                                     lambda ex, f: f["label"].int2str(int(ex["label"])),
                                     lambda f: _class_names(f["label"])),
    "nsynth_instrument": TfdsSource("nsynth_instrument", "nsynth",
                                    lambda ex, f: f["instrument"]["family"].int2str(int(ex["instrument"]["family"])),
                                    lambda f: _class_names(f["instrument"]["family"])),
    "nsynth_pitch": TfdsSource("nsynth_pitch", "nsynth", lambda ex, f: f"{int(ex['pitch']):03d}",
                               lambda f: [f"{p:03d}" for p in range(f["pitch"].num_classes)]),
    "voxforge": TfdsSource("voxforge", "voxforge", lambda ex, f: f["label"].int2str(int(ex["label"])),
                           lambda f: _class_names(f["label"])),
    "voxceleb": TfdsSource("voxceleb", "voxceleb", lambda ex, f: f["label"].int2str(int(ex["label"])),
                           lambda f: _class_names(f["label"])),
}


def _import_tfds():
    try:
        import tensorflow_datasets as tfds
    except ImportError as error:
        raise ZooError("reading TFDS data sets needs tensorflow-datasets: pip install 'hares-zoo[tfds]'") from error
    return tfds


def tfds_examples(task, source, max_per_split=None):
    """(vocabulary, sample_rate, iterator of (split, float32 waveform, (label,), clip_id), total or None,
    fingerprint) for `task` from the TFDS data set prepared under `source`."""
    spec = TFDS_SOURCES[task]
    tfds = _import_tfds()
    builder = tfds.builder(spec.tfds_name, data_dir=source)
    import tensorflow as tf
    unprepared = (AssertionError, OSError, ValueError, tf.errors.NotFoundError)   # what TFDS raises for one
    try:
        available = list(builder.info.splits.keys())
    except unprepared:
        available = []
    guessed = not available
    if guessed:
        try:
            builder.as_dataset(split="train")
            available = ["train", "validation", "valid", "test"]
        except unprepared as error:
            raise MissingDataError(task, source, f"TFDS data set {spec.tfds_name!r} is not prepared there "
                                   f"({type(error).__name__})", LAYOUT) from error
    features = builder.info.features
    rate = int(getattr(features["audio"], "sample_rate", None) or ac.SAMPLE_RATE)
    splits = []
    for tfds_split, ours in SPLITS:
        if tfds_split in available and ours not in [s for _, s in splits]:
            splits.append((tfds_split, ours))
    total = None
    if not guessed:
        total = sum(builder.info.splits[s].num_examples for s, _ in splits) or None
    fingerprint = hashlib.sha256(f"{spec.tfds_name}:{builder.info.full_name}:{max_per_split}".encode()).hexdigest()[:16]
    audio_dtype = np.dtype(features["audio"].np_dtype)

    def generate():
        for tfds_split, ours in splits:
            try:
                ds = builder.as_dataset(split=tfds_split)
            except ValueError:      # TFDS's "unknown split": only a guessed split may be missing
                if not guessed:
                    raise
                continue
            for k, example in enumerate(tfds.as_numpy(ds)):
                if max_per_split is not None and k >= max_per_split:
                    break
                audio = np.asarray(example["audio"]).reshape(-1)
                if audio_dtype.kind in "iu":
                    audio = audio.astype(np.float32) / 32768.0
                else:
                    audio = np.clip(audio.astype(np.float32), -1.0, 1.0)
                if rate != ac.SAMPLE_RATE:
                    from zoo.data.audio_io import resample
                    audio = resample(audio, rate)
                clip = example.get("id", example.get("youtube_id", b""))
                clip = clip.decode() if isinstance(clip, bytes) else str(clip)
                yield ours, audio, (spec.label(example, features),), f"{spec.tfds_name}/{ours}/{k}" + (f"/{clip}" if clip else "")

    return spec.vocabulary(features), generate(), total, fingerprint
