"""The cross-source probe suite: labelled real recordings from Debian packages that the pretraining
corpus never reads (`zoo.data.corpora.sides`), so a score here is what a user gets on audio from
sources the weights never trained beside.

    hares-zoo prepare --corpus=cross-source [--debs=DIR] [--out=DIR]
    hares-zoo probe --tasks=cross-source --model=nf_slowfast_tiny_fine_std-simclr-open-audio,logmel_stats,logmel

| task                       | domain      | package(s)           | label (from the path)                      |
|----------------------------|-------------|----------------------|--------------------------------------------|
| `xs_megaglest_voice`       | speech      | `megaglest-data`     | which unit speaks (its spoken lines)       |
| `xs_megaglest_call`        | speech      | `megaglest-data`     | what kind of line: acknowledge, attack, die, select |
| `xs_ktuberling_language`   | speech      | `ktuberling-data`    | the language a word is spoken in           |
| `xs_ufoai_category`        | environment | `ufoai-sound`        | the game's sound category (its folder)     |
| `xs_sound_event`           | environment | `EVENT_PACKAGES`     | what happens (`SOUND_EVENTS`)              |
| `xs_openclonk_category`    | environment | `openclonk-data`     | the sound's top-level group in `Sound.ocg` (`c4group`) |
| `xs_drum_family`           | music       | `DRUM_PACKAGES`      | kick, snare, hi-hat, tom, cymbal, hand percussion |
| `xs_freepats_octave`       | music       | `freepats`           | octave of a recorded note                  |
| `xs_freepats_pitch_class`  | music       | `freepats`           | pitch class of a recorded note             |
| `xs_wesnoth_source`, `xs_lincity_source`, `xs_supertux_music_world`, `xs_naev_music_mood` | | | defined; left out below `MIN_TEST_RECORDINGS` |

Repeats are left out first (`distinct_recordings`: byte-identical files, other velocity layers of a
drum). Splits are by recording and stratified: each class's files, ordered by a stable hash, give
`TEST_FRACTION` (at least one) to the test split and the rest to training, so no file is on both
sides. A class needs `MIN_TRAIN_FILES` training and `MIN_TEST_FILES` test files, a task at least
two such classes and `MIN_TEST_RECORDINGS` test recordings; what falls short is reported by name
and left out, never scored on nothing. Clips: a sound effect is its middle `CLIP_SECONDS`; a music
track gives up to `MUSIC_CLIPS_PER_TRACK` windows spread over it, all in the track's split.

Steps (each resumable, as for open-audio): obtain each `.deb`, copy its audio out (freepats' GUS
patches as one WAV per recorded note, `gus_patch`), read the durations (an undecodable file is
reported, counted and skipped), write one manifest per task and shard it, then `provenance.csv`
(package, version, licence, path, duration, splits, labels) and `left_out.json` (the classes and
tasks left out, and why).
"""

import collections
import csv
import dataclasses
import hashlib
import json
import os
import shutil

from zoo.data import debs
from zoo.data.corpora import sides
from zoo.data.corpora.cross_source_labels import labels_of, recording_key
from zoo.data.corpora.package_audio import AUDIO_SUFFIX, PackageSpec, read_packages, write_provenance
from zoo.data.splits import stratified_split
from zoo.errors import NotFoundError

CORPUS = "cross-source"
CLIP_SECONDS = 6.0             # a sound effect: its middle, at most this long
MUSIC_CLIPS_PER_TRACK = 8      # a music track: this many CLIP_SECONDS windows spread over it
TEST_FRACTION = 0.4            # of each class's recordings, at least one
MIN_TRAIN_FILES, MIN_TEST_FILES = 2, 1
# A task is built only with at least this many independent test recordings (after repeats are
# left out; the windows of one music track count once): fewer, and one encoder's score moves by
# more than 10 points with the split, too much for a verdict between two encoders.
MIN_TEST_RECORDINGS = 100

PACKAGES = (
    PackageSpec("megaglest-data", r"/factions/[^/]+/units/[^/]+/sounds/.+" + AUDIO_SUFFIX),
    PackageSpec("wesnoth-1.16-data", r"/data/core/sounds/[^/]+" + AUDIO_SUFFIX),
    PackageSpec("lincity-ng-data", r"/lincity-ng/sounds/[^/]+" + AUDIO_SUFFIX),
    PackageSpec("supertux-data", r"/supertux2/(music/[^/]+|sounds)/.+" + AUDIO_SUFFIX),
    PackageSpec("naev-data", r"/snd/(music|sounds)/.+" + AUDIO_SUFFIX),
    PackageSpec("ktuberling-data", r"/ktuberling/sounds/[^/]+/[^/]+\.(ogg|wav|opus)$"),   # Norwegian is Opus
    PackageSpec("hydrogen-drumkits", r"/hydrogen/data/drumkits/[^/]+/[^/]+" + AUDIO_SUFFIX),
    PackageSpec("hydrogen-data", r"/hydrogen/data/drumkits/[^/]+/[^/]+" + AUDIO_SUFFIX),
    PackageSpec("lmms-common", r"/lmms/samples/drums/[^/]+" + AUDIO_SUFFIX),
    PackageSpec("ufoai-sound", r"^sound/.+" + AUDIO_SUFFIX, archives=r"/0snd\.pk3$"),
    PackageSpec("freepats", r"\.wav$", archives=r"/freepats/(Tone|Drum)_000/[^/]+\.pat$", archive_kind="gus"),
    PackageSpec("freedroidrpg-data", r"/freedroidrpg/data/sound/effects/.+" + AUDIO_SUFFIX),
    PackageSpec("flare-game", r"/soundfx/.+" + AUDIO_SUFFIX),
    PackageSpec("warmux-data", r"/warmux/sound/default/(weapons|misc)/.+" + AUDIO_SUFFIX),
    PackageSpec("openclonk-data", AUDIO_SUFFIX, archives=r"/openclonk/Sound\.ocg$", archive_kind="c4group"),
)
PACKAGE_NAMES = tuple(p.name for p in PACKAGES)
MUSIC_TASKS = ("xs_supertux_music_world", "xs_naev_music_mood")

def distinct_recordings(rows, root):
    """`rows` less the files that repeat another: byte-identical copies (ktuberling's four Serbian
    folders, a word filed under two names) and the other layers of a drum already kept
    (`recording_key`); the first in (package, path) order stays. Returns (kept rows, dropped count)."""
    kept, seen = [], set()
    for row in sorted(rows, key=lambda r: (PACKAGE_NAMES.index(r["package"]), r["path"])):
        with open(os.path.join(root, row["file"]), "rb") as f:
            digest = hashlib.sha1(f.read()).hexdigest()
        key = recording_key(row["package"], row["path"])
        if digest in seen or key in seen:
            continue
        seen.update((digest, key))
        kept.append(row)
    return kept, len(rows) - len(kept)


def stratified_splits(items):
    """{file: "train" | "test"} for `items` [(row, label)] of one task: per class, `stratified_split`
    of the files' `package:path` keys, `TEST_FRACTION` (at least one) to test."""
    by_class = collections.defaultdict(dict)
    for row, label in items:
        by_class[label][f"{row['package']}:{row['path']}"] = row["file"]
    splits = {}
    for files in by_class.values():
        for key, split in stratified_split(files, TEST_FRACTION).items():
            splits[files[key]] = split
    return splits


def clip_windows(duration, music):
    """[(start, end)] seconds of the clips cut from a file `duration` s long."""
    if duration <= CLIP_SECONDS:
        return [(0.0, round(duration, 3))]
    if not music:
        start = duration / 2 - CLIP_SECONDS / 2
        return [(round(start, 3), round(start + CLIP_SECONDS, 3))]
    count = min(MUSIC_CLIPS_PER_TRACK, int(duration // CLIP_SECONDS))
    step = (duration - CLIP_SECONDS) / max(1, count - 1) if count > 1 else 0.0
    return [(round(i * step, 3), round(i * step + CLIP_SECONDS, 3)) for i in range(count)]


def plan_tasks(rows, min_test_recordings=MIN_TEST_RECORDINGS):
    """Group kept rows by task, split them, and drop what is too small: classes short of
    `MIN_TRAIN_FILES` / `MIN_TEST_FILES`, tasks with fewer than two classes left or fewer than
    `min_test_recordings` test recordings in them.

    Returns (tasks, left_out, splits): tasks {name: [(row, label, split)]} of the kept classes;
    left_out [(task, class or None, why)]; splits {task: {file: split}}."""
    by_task = collections.defaultdict(list)
    for row in rows:
        for task, label in row["labels"].items():
            by_task[task].append((row, label))
    tasks, left_out, all_splits = {}, [], {}
    for task, items in sorted(by_task.items()):
        splits = stratified_splits(items)
        counts = collections.Counter((label, splits[row["file"]]) for row, label in items)
        keep = set()
        for label in sorted({label for _, label in items}):
            train, test = counts[(label, "train")], counts[(label, "test")]
            if train >= MIN_TRAIN_FILES and test >= MIN_TEST_FILES:
                keep.add(label)
            else:
                left_out.append((task, label, f"{train} train / {test} test recordings; needs "
                                              f"{MIN_TRAIN_FILES} / {MIN_TEST_FILES}"))
        if len(keep) < 2:
            left_out.append((task, None, f"{len(keep)} class(es) with enough recordings; a task needs 2"))
            continue
        tested = sum(counts[(label, "test")] for label in keep)
        if tested < min_test_recordings:
            left_out.append((task, None, f"{tested} test recordings; a task needs {min_test_recordings} "
                                         "for a verdict"))
            continue
        tasks[task] = [(row, label, splits[row["file"]]) for row, label in items if label in keep]
        all_splits[task] = splits
    return tasks, left_out, all_splits


def write_task_manifest(path, items, music):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "label", "split", "start", "end"])
        for row, label, split in items:
            for start, end in clip_windows(row["duration_s"], music):
                writer.writerow([row["file"], label, split, f"{start:g}", f"{end:g}"])


@dataclasses.dataclass
class CrossSourceReport:
    rows: list                 # every kept file (provenance rows)
    skipped: list              # [(where, problem)]: packages, files, clips
    missing_packages: list     # packages that could not be obtained or read
    left_out: list             # [(task, class or None, why)]
    folders: dict              # {task: shard folder}

    def summary(self):
        lines = [f"{'package':<20} {'files':>6} {'hours':>7}"]
        for name in PACKAGE_NAMES:
            mine = [r for r in self.rows if r["package"] == name]
            if name in self.missing_packages:
                lines.append(f"{name:<20} {'missing':>6}")
            else:
                lines.append(f"{name:<20} {len(mine):>6} {sum(r['duration_s'] for r in mine) / 3600:>7.2f}")
        lines.append(f"skipped: {len(self.skipped)} ({len(self.missing_packages)} packages missing)")
        lines += [f"  {where}: {problem}" for where, problem in self.skipped]
        lines += _left_out_lines(self.left_out)
        lines += [f"{name:<28} {folder}" for name, folder in self.folders.items()]
        return "\n".join(lines)


def _left_out_lines(left_out):
    """One line per task: the whole task left out (why), or its classes left out (names); details in
    left_out.json."""
    lines = []
    for task in sorted({t for t, _, _ in left_out}):
        whole = [why for t, label, why in left_out if t == task and label is None]
        classes = [label for t, label, _ in left_out if t == task and label is not None]
        if whole:
            lines.append(f"left out task {task}: {whole[0]}")
        elif classes:
            lines.append(f"left out of {task}: {len(classes)} classes with too few recordings "
                         f"(needs {MIN_TRAIN_FILES} train / {MIN_TEST_FILES} test): {', '.join(classes)}")
    return lines


def build_cross_source(out_dir, debs_dir=None, download=True, packages=PACKAGE_NAMES, workers=2,
                       progress=True, log=print, min_test_recordings=MIN_TEST_RECORDINGS):
    """Build the suite in `out_dir` (see the module docstring); returns a `CrossSourceReport`.
    Asking for a pretraining-side package raises `sides.LeakageError`."""
    from zoo.cache import cache_dir
    from zoo.data.prepare import prepare_shards
    sides.require_side(packages, "probe", CORPUS, PACKAGE_NAMES)
    debs_dir = debs_dir or cache_dir("debs")

    def annotate(found):        # only files some task labels
        found = [dict(row, labels=labels_of(row["package"], row["path"])) for row in found]
        return [row for row in found if row["labels"]]

    rows, skipped, missing = read_packages(PACKAGES, packages, out_dir, debs_dir, download, annotate, log)
    if not rows:
        raise debs.DebError(debs_dir, f"no labelled audio in any {CORPUS} package "
                            f"({', '.join(missing) or 'none'} missing); see the messages above")
    rows, repeats = distinct_recordings(rows, out_dir)
    log(f"{repeats} files left out as repeats: byte-identical copies, or other velocity layers of a drum")
    tasks, left_out, splits = plan_tasks(rows, min_test_recordings)
    for line in _left_out_lines(left_out):
        log(line)
    for row in rows:
        row["split"] = ";".join(f"{task}={splits[task][row['file']]}" for task in sorted(row["labels"])
                                if task in splits)
    write_provenance(os.path.join(out_dir, "provenance.csv"), rows)
    with open(os.path.join(out_dir, "left_out.json"), "w") as f:
        json.dump([{"task": t, "class": c, "why": w} for t, c, w in left_out], f, indent=1)
    stale = os.path.join(out_dir, "shards")      # shards of tasks an earlier build made and this one left out
    for name in sorted(os.listdir(stale)) if os.path.isdir(stale) else ():
        if name not in tasks:
            shutil.rmtree(os.path.join(stale, name))
            log(f"removed the shards of {name}, which this build left out")
    folders = {}
    for task, items in tasks.items():
        manifest = os.path.join(out_dir, f"task_{task}.csv")
        write_task_manifest(manifest, items, music=task in MUSIC_TASKS)
        folder = os.path.join(out_dir, "shards", task)
        source = {"corpus": CORPUS, "side": "probe", "packages": sorted({row["package"] for row, _, _ in items})}
        report = prepare_shards(manifest, folder, workers=workers, progress=progress, replace_stale=True,
                                source=source)
        skipped += [(f"{task}: {path}", problem) for path, problem in report.skipped]
        folders[task] = folder
    return CrossSourceReport(rows, skipped, missing, left_out, folders)


def default_root():
    """Where `hares-zoo prepare --corpus=cross-source` builds the suite without --out: the cache."""
    from zoo.cache import cache_dir
    return cache_dir(CORPUS)


def shard_folders(root=None):
    """{task: shard folder} of a built suite (default: the cache's) and the left-out list
    [(task, class or None, why)] it recorded."""
    root = root or default_root()
    folder = os.path.join(root, "shards")
    found = {name: os.path.join(folder, name) for name in (sorted(os.listdir(folder)) if os.path.isdir(folder) else ())
             if os.path.exists(os.path.join(folder, name, "dataset_info.json"))}
    if not found:
        raise NotFoundError(f"no {CORPUS} suite at {root}; build it with `hares-zoo prepare --corpus={CORPUS}"
                            f"{'' if root == default_root() else ' --out=' + root}`")
    left_out = []
    path = os.path.join(root, "left_out.json")
    if os.path.exists(path):
        with open(path) as f:
            left_out = [(d["task"], d["class"], d["why"]) for d in json.load(f)]
    return found, left_out
