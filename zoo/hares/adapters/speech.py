"""Speech-domain adapters from the data sets' own files: Speech Commands v1/v2 (the release folder),
Fluent Speech Commands, VoxCeleb1 identification. TFDS sources are in `zoo.hares.adapters.tfds_source`.
"""

import os

import soundfile

from zoo.data.splits import stable_split
from zoo.hares.adapters.base import FileAdapter, MissingDataError, Rows, read_csv, read_dict_csv, require, row

SPEECH_COMMANDS_LAYOUT = """\
  SOURCE/<word>/<speaker>_nohash_<n>.wav   one folder per word (v0.01: 30 words, v0.02: 35)
  SOURCE/_background_noise_/*.wav          long noise recordings (v1's "_silence_" class)
  SOURCE/validation_list.txt, SOURCE/testing_list.txt   the official split lists"""
V1_WORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
SILENCE, UNKNOWN = "_silence_", "_unknown_"
NOISE_FOLDER = "_background_noise_"


def _read_list(path):
    with open(path, encoding="utf-8") as f:
        return {line.strip() for line in f if line.strip()}


def speech_commands_rows(source, version):
    """Speech Commands from the release folder. `version` 1: the 12-class task (10 words, other words
    as `_unknown_`, 1-s segments of the background noise as `_silence_`, split 80/10/10 by segment);
    version 2: the 35 words. Splits from validation_list.txt / testing_list.txt, the rest is train."""
    task = f"speech_commands_v{version}"
    lists = {split: _read_list(require(task, source, [name], SPEECH_COMMANDS_LAYOUT))
             for split, name in (("valid", "validation_list.txt"), ("test", "testing_list.txt"))}
    words = sorted(d for d in os.listdir(source)
                   if os.path.isdir(os.path.join(source, d)) and not d.startswith("_") and not d.startswith("."))
    if not words:
        raise MissingDataError(task, source, "no word folders", SPEECH_COMMANDS_LAYOUT)
    rows = []
    for word in words:
        label = word if version == 2 or word in V1_WORDS else UNKNOWN
        for name in sorted(os.listdir(os.path.join(source, word))):
            if name.endswith(".wav"):
                rel = f"{word}/{name}"
                split = next((s for s, names in lists.items() if rel in names), "train")
                rows.append(row(source, rel, label, split))
    if version == 2:
        return Rows(rows, words)
    noise = os.path.join(source, NOISE_FOLDER)
    for name in sorted(os.listdir(noise)) if os.path.isdir(noise) else ():
        if not name.endswith(".wav"):
            continue
        try:
            seconds = int(soundfile.info(os.path.join(noise, name)).duration)
        except (soundfile.LibsndfileError, RuntimeError):
            seconds = 1     # unreadable: one row, which prepare reports and skips
        for k in range(max(seconds, 1)):
            rel = f"{NOISE_FOLDER}/{name}"
            split = stable_split(f"{rel}@{k}", (("train", 0.8), ("valid", 0.1), ("test", 0.1)))
            rows.append(row(source, rel, SILENCE, split, float(k), float(k + 1)))
    return Rows(rows, V1_WORDS + (SILENCE, UNKNOWN))


FSC_LAYOUT = """\
  SOURCE/data/train_data.csv, valid_data.csv, test_data.csv   ,path,speakerId,transcription,action,object,location
  SOURCE/wavs/speakers/<speaker>/<utterance>.wav              (paths as written in the CSVs)"""
SLOT_SEPARATOR = "|"


def fluent_speech_commands_rows(source):
    """Fluent Speech Commands: 31 intents, each the three slots joined as `action|object|location`
    (the probe's three-slot head splits them back: a prediction counts only if all three are right)."""
    rows = []
    for split in ("train", "valid", "test"):
        path = require("fluent_speech_commands", source, [f"data/{split}_data.csv"], FSC_LAYOUT)
        for r in read_dict_csv(path, ("path", "action", "object", "location"), "fluent_speech_commands"):
            rows.append(row(source, r["path"], SLOT_SEPARATOR.join((r["action"], r["object"], r["location"])), split))
    return Rows(rows, sorted({r.labels[0] for r in rows}))


VOXCELEB_LAYOUT = """\
  SOURCE/iden_split.txt         <1|2|3> <speaker>/<video>/<n>.wav   (1 train, 2 validation, 3 test)
  SOURCE/wav/<speaker>/<video>/<n>.wav   (or the same paths directly under SOURCE)"""


def voxceleb_rows(source):
    """VoxCeleb1 speaker identification (1,251 speakers) from the official iden_split.txt."""
    split_file = require("voxceleb", source, ["iden_split.txt", "meta/iden_split.txt"], VOXCELEB_LAYOUT)
    audio_root = "wav/" if os.path.isdir(os.path.join(source, "wav")) else ""
    names = {"1": "train", "2": "valid", "3": "test"}
    rows = []
    for line, fields in enumerate(read_csv(split_file, delimiter=" "), 1):
        if len(fields) != 2 or fields[0] not in names:
            raise MissingDataError("voxceleb", source, f"iden_split.txt line {line}: {' '.join(fields)!r}",
                                   VOXCELEB_LAYOUT)
        rows.append(row(source, audio_root + fields[1], fields[1].split("/")[0], names[fields[0]]))
    return Rows(rows, sorted({r.labels[0] for r in rows}))


ADAPTERS = (
    FileAdapter("speech_commands_v1", SPEECH_COMMANDS_LAYOUT, lambda s: speech_commands_rows(s, 1)),
    FileAdapter("speech_commands_v2", SPEECH_COMMANDS_LAYOUT, lambda s: speech_commands_rows(s, 2)),
    FileAdapter("fluent_speech_commands", FSC_LAYOUT, fluent_speech_commands_rows),
    FileAdapter("voxceleb", VOXCELEB_LAYOUT, voxceleb_rows),
)
