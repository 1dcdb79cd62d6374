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
import math
import os
import re
import shutil

from zoo.data import debs
from zoo.data.corpora import sides
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
DRUM_PACKAGES = ("hydrogen-drumkits", "hydrogen-data", "lmms-common", "freepats")
PACKAGE_NAMES = tuple(p.name for p in PACKAGES)
MUSIC_TASKS = ("xs_supertux_music_world", "xs_naev_music_mood")

_MEGAGLEST_CALL = re.compile(r"_(ack|attack|die|select)\d*$")
_SPOKEN_CALLS = ("ack", "select")                 # the unit's spoken lines (attack and die are cries)
_NAEV_MOODS = ((r"combat|battle|threat", "battle"), (r"ambient|ambiphonic|peace", "calm"))
# A drum's family from its file name (first match wins; names from the kits' own naming: `bd`, `sd`,
# `hh` are kick, snare and hi-hat; a rim shot or side stick is played on the snare). Names that say
# none of these (`beats_06-38`, `zap01`, `fx_3`) are left unlabelled.
DRUM_FAMILIES = (
    ("cymbal", r"crash|ride|china|chinese|splash|cymbal|cup"),
    ("hihat", r"hi-?hat|hh|^ho[_-]|hat"),
    ("kick", r"kick|bass[-_ ]?drum|^bd|^kik|^kd"),
    ("snare", r"snare|^sd|^sn|rim|side[-_ ]?stick|^js"),
    ("tom", r"tom(?!bourine)"),
    ("hand percussion", r"conga|bongo|agogo|cow[-_ ]?bell|clap|shaker|tamb|tombourine|clav|wood|whistle|cabasa|"
                        r"maraca|guiro|timbal|triangle|perc|block"),
)
# Velocity layers of one drum (`PearlKick-Hard`, `PearlKick-Soft`, `Kick-3`): one recording is kept.
_DRUM_LAYER = re.compile(r"([-_ ]+(softest|soft|med|medium|hard|hardest|normal|loud|quiet|ff|mf|mp|pp|v?\d+|[a-z]))+$")


# What happens in a game's sound effect, from `folder/stem` of its file (first match wins; the order
# settles overlaps: `laser-blast` is a shot, `afterburner` an engine). Names that say none of these
# are left unlabelled.
SOUND_EVENTS = (
    ("engine", r"engine|motor|afterburner|jetpack|aircraft|minecart"),
    ("explosion", r"explo|(?<!laser-)(?<!ptl-)blast|boom|bomb(?!.*(fall|fly))|_exp\d*$|lrgexp|medexp|bansheeexp|"
                  r"empexp|firecracker|fireworks"),
    ("footstep", r"footstep|steps?/|(^|[/_])steps?(_|\d|$)|_walk\d*$|stairs"),
    ("door", r"door|gate|open_close|creak"),
    ("glass or breaking", r"glass|shatter|break(wood|metal|electric)|crack|crash(?!ride)"),
    ("gunfire", r"gun(?!.*(selected|show|hide))|rifle|pistol|shotgun|bullet(?!.*(impact|sword))|m16|sniper|smg|"
                r"bolter|needler|autocannon|flechette"),
    ("laser or plasma", r"laser|plasma|phaser|ptl-|beam\d|(^|/)ion$|neutron|ripper"),
    ("weather", r"thunder|lightning|wind(?!ow|mill)|(^|/)rain|storm"),
    ("water", r"water|splash|river|bubble|drip|droplet|sink|swim|fountain|fontain"),
    ("fire", r"/fire\d*$|flame|burn|embers|smallfire|firesoft|open_fire|sizzle"),
    ("scream or cry", r"scream|hurt|death|_die\d*$|/die|critdie|pain|grunt|groan|roar|howl"),
    ("coin or pickup", r"coin|pick|loot|collect|lifeup|upgrade"),
    ("click or beep", r"click|/clic$|beep|button|menu"),
)
EVENT_PACKAGES = ("ufoai-sound", "wesnoth-1.16-data", "lincity-ng-data", "supertux-data", "naev-data",
                  "freedroidrpg-data", "flare-game", "warmux-data")


def sound_event(path):
    """One of `SOUND_EVENTS`' labels ("explosion", "footstep", ...) or None, from a sound effect's path."""
    inner = path.split(":")[-1]
    name = f"{os.path.basename(os.path.dirname(inner))}/{os.path.splitext(os.path.basename(inner))[0]}".lower()
    for event, pattern in SOUND_EVENTS:
        if re.search(pattern, name):
            return event
    return None


def drum_family(stem):
    """"kick", "snare", "hihat", "tom", "cymbal", "hand percussion" or None, from a file name's stem."""
    stem = stem.lower()
    for family, pattern in DRUM_FAMILIES:
        if re.search(pattern, stem):
            return family
    return None


PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def midi_note(hz):
    """The MIDI note nearest `hz` (A4 = 440 Hz = 69; its octave in scientific pitch notation is
    note // 12 - 1, so middle C, 261.6 Hz, is 60: C4)."""
    return int(round(69 + 12 * math.log2(hz / 440.0)))


def recording_key(package, path):
    """What makes a file one independent recording: its path, except a drum sample, whose velocity
    layers (and numbered takes) in one kit folder are one drum (`kit/stem` without the layer suffix)."""
    if package == "freepats":              # PATCH.pat:sNN_ROOTHz.wav: a drum patch is one drum
        patch = path.split(":")[0]
        return f"{package}:{patch}" if "/Drum_000/" in patch else f"{package}:{path}"
    if package not in DRUM_PACKAGES:
        return f"{package}:{path}"
    folder, name = os.path.split(path)
    stem = os.path.splitext(name)[0].lower()
    return f"{package}:{folder}/{_DRUM_LAYER.sub('', stem) or stem}"


def labels_of(package, path):
    """{probe task: label} that `path` (inside `package`) carries; {} for a file no task uses."""
    labels = _package_labels(package, path)
    event = sound_event(path) if package in EVENT_PACKAGES and "/music/" not in path else None
    return {**labels, "xs_sound_event": event} if event else labels


def _package_labels(package, path):
    stem = os.path.splitext(os.path.basename(path))[0].lower()
    if package == "megaglest-data":
        unit = re.search(r"/factions/([^/]+)/units/([^/]+)/", path)
        call = _MEGAGLEST_CALL.search(stem)
        if not (unit and call):
            return {}
        labels = {"xs_megaglest_call": call.group(1)}
        if call.group(1) in _SPOKEN_CALLS:
            labels["xs_megaglest_voice"] = f"{unit.group(1)}/{unit.group(2)}"
        return labels
    if package == "wesnoth-1.16-data":
        return {"xs_wesnoth_source": re.split(r"[-_ ]", stem)[0]}
    if package == "lincity-ng-data":
        name = re.sub(r"\d+$", "", os.path.splitext(os.path.basename(path))[0])
        return {"xs_lincity_source": name} if name else {}
    if package == "supertux-data":
        world = re.search(r"/music/([^/]+)/", path)
        return {"xs_supertux_music_world": world.group(1)} if world else {}
    if package == "naev-data" and "/music/" in path:
        for pattern, mood in _NAEV_MOODS:
            if re.search(pattern, stem):
                return {"xs_naev_music_mood": mood}
    if package == "ktuberling-data":      # sounds/LANG/word.ogg; sr@latin and the like are Serbian
        language = re.search(r"/sounds/([^/@]+)(@[^/]*)?/[^/]+$", path)
        return {"xs_ktuberling_language": language.group(1)} if language else {}
    if package == "openclonk-data":       # Sound.ocg:GROUP.ocg/[SUBGROUP.ocg/]name.ogg; GROUP: animals, clonk, ...
        group = re.search(r"Sound\.ocg:([^/]+)\.ocg/", path)
        return {"xs_openclonk_category": group.group(1).lower()} if group else {}
    if package == "ufoai-sound":          # 0snd.pk3:sound/CATEGORY/[alien/]name.ogg
        category = re.search(r":sound/([^/]+)/", path)
        return {"xs_ufoai_category": category.group(1)} if category else {}
    if package == "freepats":             # PATCH.pat:sNN_ROOTHz.wav, ROOT the note it was recorded at
        patch, _, sample = path.partition(":")
        if "/Drum_000/" in patch:
            family = drum_family(os.path.splitext(os.path.basename(patch))[0])
            return {"xs_drum_family": family} if family else {}
        root = re.search(r"_([0-9.]+)Hz\.wav$", sample)
        if not root:
            return {}
        note = midi_note(float(root.group(1)))
        return {"xs_freepats_octave": f"octave {note // 12 - 1}", "xs_freepats_pitch_class": PITCH_CLASSES[note % 12]}
    if package in DRUM_PACKAGES:
        family = drum_family(stem)
        return {"xs_drum_family": family} if family else {}
    return {}


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
