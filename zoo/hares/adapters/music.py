"""Music-domain adapters from the data sets' own files: NSynth (instrument family, pitch) and
MagnaTagATune (top-50 tags). TFDS's `nsynth` is read by `zoo.hares.adapters.tfds_source`.
"""

import collections
import json
import os

import numpy as np

from zoo.hares.adapters.base import FileAdapter, MissingDataError, Rows, read_csv, require, row

NSYNTH_LAYOUT = """\
  SOURCE/nsynth-train/examples.json   {note_str: {"instrument_family_str": ..., "pitch": 0-127, ...}}
  SOURCE/nsynth-train/audio/<note_str>.wav
  SOURCE/nsynth-valid/..., SOURCE/nsynth-test/...   (same layout; valid is optional)"""
NSYNTH_FAMILIES = ("bass", "brass", "flute", "guitar", "keyboard", "mallet", "organ", "reed", "string",
                   "synth_lead", "vocal")
PITCHES = tuple(f"{p:03d}" for p in range(128))


def nsynth_rows(source, target):
    """NSynth from the release's JSON: `target` "instrument" (11 families) or "pitch" (128 MIDI
    pitches, labels "000".."127")."""
    task = f"nsynth_{target}"
    rows = []
    for split in ("train", "valid", "test"):
        folder = f"nsynth-{split}"
        meta = os.path.join(source, folder, "examples.json")
        if not os.path.exists(meta):
            if split == "valid":
                continue
            require(task, source, [f"{folder}/examples.json"], NSYNTH_LAYOUT)
        with open(meta, encoding="utf-8") as f:
            notes = json.load(f)
        for note, facts in sorted(notes.items()):
            try:
                label = (facts["instrument_family_str"] if target == "instrument" else f"{int(facts['pitch']):03d}")
            except (KeyError, TypeError, ValueError):
                raise MissingDataError(task, source, f"{folder}/examples.json entry {note!r} lacks "
                                       "instrument_family_str or pitch", NSYNTH_LAYOUT)
            rows.append(row(source, f"{folder}/audio/{note}.wav", label, split))
    return Rows(rows, NSYNTH_FAMILIES if target == "instrument" else PITCHES)


MTT_LAYOUT = """\
  SOURCE/annotations_final.csv          tab-separated: clip_id, 188 tag columns of 0/1, mp3_path
  SOURCE/<mp3_path>  (or SOURCE/mp3/<mp3_path>)   e.g. f/<artist>-<album>-<n>-<title>-30-59.mp3
  optional, the split of the paper (musicnn-training/data/index/mtt):
  SOURCE/index_mtt.tsv, train_gt_mtt.tsv, val_gt_mtt.tsv, test_gt_mtt.tsv   id<TAB>path, id<TAB>[0, 1, ...]
  without them: the top-50 tags and the folder split 0-b train, c valid, d-f test"""


def _read_annotations(path, source):
    table = read_csv(path, delimiter="\t")
    header, body = table[0], table[1:]
    if "clip_id" not in header or "mp3_path" not in header:
        raise MissingDataError("magnatagatune", source, f"annotations_final.csv header lacks clip_id or mp3_path: "
                               f"{header[:3]}...", MTT_LAYOUT)
    tags = [h for h in header if h not in ("clip_id", "mp3_path")]
    columns = [header.index(t) for t in tags]
    clip_ids = [r[header.index("clip_id")] for r in body]
    paths = [r[header.index("mp3_path")] for r in body]
    matrix = np.array([[int(r[c] or 0) for c in columns] for r in body], np.int8)
    return tags, clip_ids, paths, matrix


def _read_gt(path):
    return {fields[0]: json.loads(fields[1]) for fields in read_csv(path, delimiter="\t")}


def magnatagatune_rows(source):
    """MagnaTagATune top-50 tagging (multi-label). With the musicnn index files, their split and
    ground truth (tag names matched to annotations_final.csv's columns); otherwise the top-50 tags
    by count and the conventional folder split. Clips without tags stay in (all-zero targets)."""
    tags, clip_ids, paths, matrix = _read_annotations(
        require("magnatagatune", source, ["annotations_final.csv"], MTT_LAYOUT), source)
    prefix = "mp3/" if os.path.isdir(os.path.join(source, "mp3")) else ""
    position = {c: i for i, c in enumerate(clip_ids)}
    gt_files = {"train": "train_gt_mtt.tsv", "valid": "val_gt_mtt.tsv", "test": "test_gt_mtt.tsv"}
    if all(os.path.exists(os.path.join(source, f)) for f in gt_files.values()):
        truth = {split: _read_gt(os.path.join(source, f)) for split, f in gt_files.items()}
        ids = [i for split in truth.values() for i in split if i in position]
        gt = np.array([truth_of for split in truth.values() for i, truth_of in split.items() if i in position])
        if not ids or gt.ndim != 2:
            raise MissingDataError("magnatagatune", source, "the *_gt_mtt.tsv ids do not match annotations_final.csv",
                                   MTT_LAYOUT)
        annotated = matrix[[position[i] for i in ids]].astype(np.float64)
        # Each ground-truth column is the annotation column it agrees with most.
        agreement = gt.T.astype(np.float64) @ annotated + (1 - gt.T) @ (1 - annotated)
        vocabulary = [tags[j] for j in agreement.argmax(1)]
        rows = [row(source, prefix + paths[position[i]], [vocabulary[k] for k, v in enumerate(values) if v], split)
                for split, entries in truth.items() for i, values in entries.items() if i in position]
        return Rows(rows, vocabulary)
    counts = matrix.sum(0)
    top = sorted(range(len(tags)), key=lambda j: (-counts[j], j))[:50]
    vocabulary = [tags[j] for j in top]
    split_of = collections.OrderedDict([(c, "train") for c in "0123456789ab"] + [("c", "valid")] +
                                       [(c, "test") for c in "def"])
    rows = []
    for k, path in enumerate(paths):
        split = split_of.get(path[:1].lower())
        if split is not None:
            rows.append(row(source, prefix + path, [tags[j] for j in top if matrix[k, j]], split))
    return Rows(rows, vocabulary, ("magnatagatune: no musicnn index files, so the folder split "
                                   "(0-b train, c valid, d-f test)",))


ADAPTERS = (
    FileAdapter("nsynth_instrument", NSYNTH_LAYOUT, lambda s: nsynth_rows(s, "instrument")),
    FileAdapter("nsynth_pitch", NSYNTH_LAYOUT, lambda s: nsynth_rows(s, "pitch")),
    FileAdapter("magnatagatune", MTT_LAYOUT, magnatagatune_rows),
)
