"""Environment-domain adapters: AudioSet, Birdsong (DCASE2018 task 3), TUT18 (DCASE2018 task 1A), ESC-50.

Task facts (classes, splits) from docs/paper-facts.md sections 1a and 1d.
"""

import os

from zoo.data.manifest import read_manifest
from zoo.data.splits import stable_split
from zoo.hares.adapters.base import (FileAdapter, MissingDataError, Rows, index_audio, read_csv,
                                     read_dict_csv, require, row)

AUDIOSET_LAYOUT = """\
  SOURCE/class_labels_indices.csv        index,mid,display_name (the 527 classes)
  SOURCE/balanced_train_segments.csv     # comments, then YTID, start_seconds, end_seconds, "mid,mid"
  SOURCE/unbalanced_train_segments.csv   (optional: joins the training split)
  SOURCE/eval_segments.csv               the test split
  SOURCE/**/<audio>                      one file per 10-s segment, anywhere below SOURCE, named
                                         YTID, YYTID, YTID_START, YTID_START_END or YYTID_START_END
                                         (START/END as in the CSV, e.g. 30.000), .wav/.flac/.ogg/.mp3"""


def _segment_names(ytid, start, end):
    s, e = float(start), float(end)
    names = [ytid, "Y" + ytid]
    for a, b in ((f"{s:.3f}", f"{e:.3f}"), (f"{s:g}", f"{e:g}"), (str(int(s)), str(int(e))), (f"{s:.1f}", f"{e:.1f}")):
        names += [f"{ytid}_{a}", f"{ytid}_{a}_{b}", f"Y{ytid}_{a}", f"Y{ytid}_{a}_{b}"]
    return names


def audioset_rows(source):
    """AudioSet from its segment CSVs and local audio: 527 classes (display names, CSV order), train =
    balanced (+ unbalanced when present), test = eval. Segments without local audio are counted
    (YouTube attrition) and left out; the notes say how many."""
    labels_csv = require("audioset", source, ["class_labels_indices.csv"], AUDIOSET_LAYOUT)
    classes = read_dict_csv(labels_csv, ("index", "mid", "display_name"), "audioset")
    name_of = {c["mid"]: c["display_name"] for c in classes}
    audio = index_audio(source)
    rows, notes = [], []
    for split, files in (("train", ("balanced_train_segments.csv", "unbalanced_train_segments.csv")),
                         ("test", ("eval_segments.csv",))):
        present = [f for f in files if os.path.exists(os.path.join(source, f))]
        if not present:
            raise MissingDataError("audioset", source, f"no {files[0]}", AUDIOSET_LAYOUT)
        listed = found = 0
        for name in present:
            for line, fields in enumerate(read_csv(os.path.join(source, name), comment="#"), 1):
                if len(fields) < 4:
                    raise MissingDataError("audioset", source, f"{name} line {line} has {len(fields)} fields, "
                                           "expected YTID, start, end, labels", AUDIOSET_LAYOUT)
                ytid, start, end, mids = fields[0], fields[1], fields[2], ",".join(fields[3:])
                listed += 1
                path = next((audio[n] for n in _segment_names(ytid, start, end) if n in audio), None)
                if path is None:
                    continue
                unknown = [m for m in mids.split(",") if m.strip() not in name_of]
                if unknown:
                    raise MissingDataError("audioset", source, f"{name} line {line}: label ids {unknown} are not "
                                           "in class_labels_indices.csv", AUDIOSET_LAYOUT)
                found += 1
                rows.append(row(source, os.path.relpath(path, source),
                                [name_of[m.strip()] for m in mids.split(",")], split))
        if not found:
            raise MissingDataError("audioset", source, f"none of the {listed} {split} segments has local audio",
                                   AUDIOSET_LAYOUT)
        if found < listed:
            notes.append(f"audioset {split}: {listed - found} of {listed} segments have no local audio "
                         "(left out, as after YouTube attrition)")
    return Rows(rows, [c["display_name"] for c in classes], tuple(notes))


BIRDSONG_LAYOUT = """\
  SOURCE/manifest.csv   a manifest with path,label,split (the HARES authors' split), or the DCASE layout:
  SOURCE/ff1010bird_metadata_2018.csv, warblrb10k_public_metadata_2018.csv,
         BirdVoxDCASE20k_csvpublic.csv     itemid,datasetid,hasbird (any of the three)
  SOURCE/<datasetid>/wav/<itemid>.wav      (or SOURCE/<datasetid>/<itemid>.wav, SOURCE/wav/<itemid>.wav)"""
BIRDSONG_METADATA = ("ff1010bird_metadata_2018.csv", "warblrb10k_public_metadata_2018.csv",
                     "BirdVoxDCASE20k_csvpublic.csv")
BIRD_LABELS = ("bird", "no_bird")


def birdsong_rows(source):
    """Birdsong (2 classes). The paper's splits (Tagliasacchi et al.) are a Google Drive folder: give
    them as SOURCE/manifest.csv. Without it, the three DCASE metadata files are split 80/20 by a
    stable hash of `datasetid/itemid` (said in the notes: not the paper's split)."""
    manifest = os.path.join(source, "manifest.csv")
    if os.path.exists(manifest):
        return Rows(read_manifest(manifest), BIRD_LABELS)
    present = [m for m in BIRDSONG_METADATA if os.path.exists(os.path.join(source, m))]
    if not present:
        require("birdsong", source, ("manifest.csv",) + BIRDSONG_METADATA, BIRDSONG_LAYOUT)
    rows = []
    for name in present:
        for item in read_dict_csv(os.path.join(source, name), ("itemid", "datasetid", "hasbird"), "birdsong"):
            dataset, itemid = item["datasetid"], item["itemid"]
            candidates = (f"{dataset}/wav/{itemid}.wav", f"{dataset}/{itemid}.wav", f"wav/{itemid}.wav")
            rel = next((c for c in candidates if os.path.exists(os.path.join(source, c))), candidates[0])
            label = BIRD_LABELS[0] if item["hasbird"] == "1" else BIRD_LABELS[1]
            rows.append(row(source, rel, label, stable_split(f"{dataset}/{itemid}")))
    return Rows(rows, BIRD_LABELS, ("birdsong: no manifest.csv, so an 80/20 hash split of the DCASE metadata, "
                                    "not the paper's split",))


TUT18_LAYOUT = """\
  SOURCE/manifest.csv   a manifest with path,label,split, or the DCASE2018 task 1A development layout:
  SOURCE/evaluation_setup/fold1_train.csv      filename<TAB>scene_label (header optional)
  SOURCE/evaluation_setup/fold1_evaluate.csv   the test split
  SOURCE/audio/*.wav                           filenames relative to SOURCE"""
TUT18_SCENES = ("airport", "bus", "metro", "metro_station", "park", "public_square", "shopping_mall",
                "street_pedestrian", "street_traffic", "tram")


def tut18_rows(source):
    """TUT Urban Acoustic Scenes 2018 (10 scenes): the official fold-1 train/evaluate lists."""
    manifest = os.path.join(source, "manifest.csv")
    if os.path.exists(manifest):
        return Rows(read_manifest(manifest), TUT18_SCENES)
    rows = []
    for split, name in (("train", "fold1_train"), ("test", "fold1_evaluate")):
        path = require("tut18", source, [f"evaluation_setup/{name}.csv", f"evaluation_setup/{name}.txt"],
                       TUT18_LAYOUT)
        for fields in read_csv(path, delimiter="\t"):
            if fields[0] == "filename":
                continue
            if len(fields) < 2:
                raise MissingDataError("tut18", source, f"{path}: a line without a scene label: {fields}",
                                       TUT18_LAYOUT)
            rows.append(row(source, fields[0], fields[1], split))
    return Rows(rows, TUT18_SCENES)


ESC50_LAYOUT = """\
  SOURCE/meta/esc50.csv   filename,fold,target,category,esc10,src_file,take
  SOURCE/audio/*.wav      5-s clips; splits fold1..fold5 (the SVM protocol cross-validates over them)"""


def esc50_rows(source):
    """ESC-50: 50 classes in `target` order, one split per fold (`fold1`..`fold5`)."""
    meta = require("esc50", source, ["meta/esc50.csv"], ESC50_LAYOUT)
    records = read_dict_csv(meta, ("filename", "fold", "target", "category"), "esc50")
    names = {}
    for r in records:
        names[int(r["target"])] = r["category"]
    vocabulary = [names[t] for t in sorted(names)]
    rows = [row(source, f"audio/{r['filename']}", r["category"], f"fold{int(r['fold'])}")
            for r in sorted(records, key=lambda r: (int(r["fold"]), r["filename"]))]
    return Rows(rows, vocabulary)


ADAPTERS = (
    FileAdapter("audioset", AUDIOSET_LAYOUT, audioset_rows),
    FileAdapter("birdsong", BIRDSONG_LAYOUT, birdsong_rows),
    FileAdapter("tut18", TUT18_LAYOUT, tut18_rows),
    FileAdapter("esc50", ESC50_LAYOUT, esc50_rows),
)
