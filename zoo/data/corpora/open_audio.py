"""The open-audio corpus: real recordings from five Debian packages, read offline from their `.deb`s.

    hares-zoo prepare --corpus=open-audio [--debs=DIR] [--out=DIR]

| package              | what it holds                                                        |
|----------------------|----------------------------------------------------------------------|
| `0ad-data`           | effects, voices (4 languages), ambience, music: `audio/` inside `mods/public/public.zip` |
| `wesnoth-1.16-music` | orchestral music                                                     |
| `klettres-data`      | spoken letters and syllables in 20 languages                         |
| `redeclipse-data`    | weapons, ambience, effects, player and announcer voices              |
| `openarena-data`     | sounds inside the `.pk3` (zip) archives                              |

Steps (each resumable; a rerun skips what is done):
1. find `PACKAGE_*.deb` in `--debs` (default: the cache's `debs/`), else `apt-get download` it there;
   a package that cannot be found or read is reported and the rest goes on.
2. stream the data archive and copy out only the audio members (and zip/pk3 members: their audio
   entries, one by one, through a temporary file deleted afterwards) to `OUT/audio/PACKAGE/...`;
   the licences come from the package's own copyright file.
3. probe each file's header (duration); an undecodable file is reported, counted and skipped.
4. split by a stable hash of `package:path` (`split_of`): 60 % pretraining pool, 25 % probe-train,
   15 % probe-test. The probe files are never in the pool, so probing never sees pretraining audio.
5. write manifests and shard them through `zoo.data.prepare.prepare_shards` (decode, resample to
   16 kHz mono): `OUT/shards/pretrain` (long files cut into `POOL_SEGMENT_SECONDS` segments) and
   one folder per probe task (`OUT/shards/<task>`, `train`/`test` splits, labels from paths).
6. write `OUT/provenance.csv` (package, version, licence, path in package, duration, split, labels)
   and print a summary (files, hours, per package).
"""

import collections
import csv
import dataclasses
import os
import re

from zoo.data import debs
from zoo.data.corpora import sides
from zoo.data.corpora.package_audio import AUDIO_SUFFIX, PackageSpec, read_packages, write_provenance
from zoo.data.splits import stable_split
from zoo.errors import NotFoundError
POOL_SEGMENT_SECONDS = 10.0          # pretraining pool: long files are cut into segments this long
PROBE_CLIP_SECONDS = 6.0             # probe tasks: the middle of each file, at most this long
SPLIT_PERCENTS = (("probe-train", 25), ("probe-test", 15), ("pretrain", 60))   # of the hash buckets
MIN_FILES_PER_CLASS = 2              # per probe split; rarer classes are left out of a task


PACKAGES = (
    PackageSpec("0ad-data", r"^audio/.+" + AUDIO_SUFFIX, r"mods/public/public\.zip$"),
    PackageSpec("wesnoth-1.16-music", r"/music/.+" + AUDIO_SUFFIX),
    PackageSpec("klettres-data", r"^usr/share/klettres/[^/]+/(alpha|syllab)/.+" + AUDIO_SUFFIX),
    PackageSpec("redeclipse-data", r"/data/sounds/.+" + AUDIO_SUFFIX),
    PackageSpec("openarena-data", r"^sound/.+" + AUDIO_SUFFIX, r"\.pk3$"),
)
PACKAGE_NAMES = tuple(p.name for p in PACKAGES)


# ----------------------------------------------------------------------------- labels and splits

def labels_of(package, path):
    """{probe task: label} that `path` (inside `package`; an archive entry as `ARCHIVE:ENTRY`) carries."""
    entry = path.split(":", 1)[-1]
    parts = entry.split("/")
    if package == "klettres-data":
        match = re.match(r"^usr/share/klettres/([^/]+)/(alpha|syllab)/", entry)
        return {"open_klettres_language": match.group(1)} if match else {}
    if package == "0ad-data" and len(parts) > 2 and parts[0] == "audio":
        labels = {"open_0ad_category": parts[1]}
        if parts[1] == "voice" and len(parts) > 3 and parts[2] != "global":
            labels["open_0ad_voice_language"] = parts[2]
        return labels
    if package == "redeclipse-data":
        match = re.search(r"/data/sounds/([^/]+)/", entry)
        return {"open_redeclipse_category": match.group(1)} if match else {}
    return {}


def split_of(package, path):
    """"pretrain", "probe-train" or "probe-test", from a stable hash of `package:path`."""
    return stable_split(f"{package}:{path}", SPLIT_PERCENTS, digest="sha1")


# ----------------------------------------------------------------------------- manifests

def _middle(duration, seconds):
    start = max(0.0, duration / 2 - seconds / 2)
    return round(start, 3), round(min(duration, start + seconds), 3)


def write_manifests(corpus_root, rows):
    """Write `pretrain.csv` and one `task_<name>.csv` per probe task at `corpus_root`.

    Returns {"pretrain": path, task: path}: only tasks with at least 2 classes that each have
    `MIN_FILES_PER_CLASS` files in both probe splits; rarer classes are left out of the task."""
    paths = {}
    pool = os.path.join(corpus_root, "pretrain.csv")
    with open(pool, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "label", "split", "start", "end"])
        for row in rows:
            if row["split"] != "pretrain":
                continue
            duration, start = row["duration_s"], 0.0
            while True:
                end = min(duration, start + POOL_SEGMENT_SECONDS)
                whole = start == 0.0 and end == duration
                writer.writerow([row["file"], "", "train", "" if whole else f"{start:g}", "" if whole else f"{end:g}"])
                start = end
                if duration - start < 1.0:     # a trailing piece under 1 s is not worth a clip
                    break
    paths["pretrain"] = pool
    by_task = collections.defaultdict(list)
    for row in rows:
        if row["split"] != "pretrain":
            for task, label in row["labels"].items():
                by_task[task].append((row, label))
    for task, items in sorted(by_task.items()):
        counts = collections.Counter((label, row["split"]) for row, label in items)
        classes = sorted({label for _, label in items
                          if min(counts[(label, "probe-train")], counts[(label, "probe-test")]) >= MIN_FILES_PER_CLASS})
        if len(classes) < 2:
            continue
        path = os.path.join(corpus_root, f"task_{task}.csv")
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["path", "label", "split", "start", "end"])
            for row, label in items:
                if label in classes:
                    start, end = _middle(row["duration_s"], PROBE_CLIP_SECONDS)
                    writer.writerow([row["file"], label, row["split"].split("-")[1], f"{start:g}", f"{end:g}"])
        paths[task] = path
    return paths


# ----------------------------------------------------------------------------- the whole job

@dataclasses.dataclass
class CorpusReport:
    rows: list                 # every kept file (provenance rows)
    skipped: list              # [(where, problem)]: packages, archive entries, files
    missing_packages: list     # names of packages that could not be obtained or read
    folders: dict              # {"pretrain": shard folder, task: shard folder}
    packages: tuple = PACKAGE_NAMES   # the corpus' packages, in the summary's order
    extra_lines: list = dataclasses.field(default_factory=list)   # printed after the totals

    def summary(self):
        lines = [f"{'package':<30} {'files':>6} {'hours':>7} {'pool h':>7} {'probe files':>11}"]
        total_files, total_hours, pool_hours = 0, 0.0, 0.0
        for name in self.packages:
            mine = [r for r in self.rows if r["package"] == name]
            if name in self.missing_packages:
                lines.append(f"{name:<30} {'missing':>6}")
                continue
            hours = sum(r["duration_s"] for r in mine) / 3600
            pool = sum(r["duration_s"] for r in mine if r["split"] == "pretrain") / 3600
            probe = sum(1 for r in mine if r["split"] != "pretrain")
            lines.append(f"{name:<30} {len(mine):>6} {hours:>7.2f} {pool:>7.2f} {probe:>11}")
            total_files, total_hours, pool_hours = total_files + len(mine), total_hours + hours, pool_hours + pool
        lines.append(f"{'total':<30} {total_files:>6} {total_hours:>7.2f} {pool_hours:>7.2f}")
        lines += self.extra_lines
        lines.append(f"skipped: {len(self.skipped)} ({len(self.missing_packages)} packages missing)")
        lines += [f"  {where}: {problem}" for where, problem in self.skipped]
        lines += [f"{name:<28} {folder}" for name, folder in self.folders.items()]
        return "\n".join(lines)


def build_open_audio(out_dir, debs_dir=None, download=True, packages=PACKAGE_NAMES, workers=2,
                     progress=True, log=print):
    """Build the corpus in `out_dir` (see the module docstring); returns a `CorpusReport`."""
    from zoo.cache import cache_dir
    from zoo.data.prepare import prepare_shards
    sides.require_side(packages, "pretrain", "open-audio", PACKAGE_NAMES)
    debs_dir = debs_dir or cache_dir("debs")

    def annotate(found):
        return [dict(row, split=split_of(row["package"], row["path"]), labels=labels_of(row["package"], row["path"]))
                for row in found]

    rows, skipped, missing = read_packages(PACKAGES, packages, out_dir, debs_dir, download, annotate, log)
    if not rows:
        raise debs.DebError(debs_dir, "no audio found in any open-audio package "
                            f"({', '.join(missing) or 'none'} missing); see the messages above")
    write_provenance(os.path.join(out_dir, "provenance.csv"), rows)
    folders = {}
    for name, manifest in write_manifests(out_dir, rows).items():
        folder = os.path.join(out_dir, "shards", name)
        # A build with another package set or split leaves shards of another manifest: rebuild them.
        # The pool (listed package by package) is shuffled into its shards; probe tasks keep their order.
        report = prepare_shards(manifest, folder, workers=workers, progress=progress, replace_stale=True,
                                shuffle_seed=POOL_SHUFFLE_SEED if name == "pretrain" else None)
        skipped += [(f"{name}: {path}", problem) for path, problem in report.skipped]
        folders[name] = folder
    return CorpusReport(rows, skipped, missing, folders)


POOL_SHUFFLE_SEED = 0      # the pool's clips are shuffled into shards with this seed (zoo.data.prepare)


def default_root():
    """Where `hares-zoo prepare --corpus=open-audio` builds the corpus without --out: the cache."""
    from zoo.cache import cache_dir
    return cache_dir("open-audio")


def shard_folders(root=None):
    """{"pretrain" or task name: shard folder} of a built corpus (default: the cache's)."""
    root = root or default_root()
    folder = os.path.join(root, "shards")
    found = {name: os.path.join(folder, name) for name in (sorted(os.listdir(folder)) if os.path.isdir(folder) else ())
             if os.path.exists(os.path.join(folder, name, "dataset_info.json"))}
    if "pretrain" not in found:
        raise NotFoundError(f"no open-audio corpus at {root}; build it with `hares-zoo prepare --corpus=open-audio"
                                f"{'' if root == default_root() else ' --out=' + root}`")
    return found


def pool_folder(root=None):
    """The shard folder of the pretraining pool."""
    return shard_folders(root)["pretrain"]
