"""The open-audio-xl corpus: the open-audio pretraining pool plus 17 more Debian packages, for
pretraining only (it has no probe tasks of its own).

    hares-zoo prepare --corpus=open-audio-xl [--debs=DIR] [--out=DIR]
    hares-zoo pretrain --corpus=open-audio-xl ...

What the extra packages add (see the summary that `prepare` prints for hours):

| content | packages |
|---|---|
| speech | `flight-of-the-amazon-queen` (the adventure game's spoken dialogue in English, MP3 inside its resource file: `queen_resource.py`), `trigger-rally-data` (co-driver calls); with klettres-data's 20 languages and 0ad-data's voices from the open-audio pool |
| music | `warzone2100-music`, `hyperrogue-music`, `drascula-music`, `nexuiz-music`, `colobot-common-sounds`, `extremetuxracer-data`, `xmoto-data` |
| effects, ambience | the same games' sound folders, `frozen-bubble-data`, `pokerth-data`, `tuxtype-data`, `tuxpaint-data`, `pingus-data`, `ri-li-data`, `khangman`, `kanagram` |

Every extra package stands on the pretraining side of the wall (`sides.py`), so no cross-source
probe task shares a source with this corpus, and none is reserved for the evaluation that runs
outside this repository (`sides.RESERVED_PACKAGES`: earlier versions of this pool read five of them,
which are refused now). Of the open-audio
packages only the files of the open-audio pool are read into it (its split, `open_audio.split_of`):
the open-audio probe files stay out, so both probe suites remain unseen by a run on this corpus.

Each step resumes like open-audio's (`open_audio.py`): a package already extracted is not read
again; a missing package or an undecodable file is reported, counted and skipped.
"""

import collections
import json
import os
import re

from zoo.data import debs
from zoo.data.corpora import open_audio, sides
from zoo.data.corpora.package_audio import AUDIO_SUFFIX, PackageSpec, read_packages, write_provenance
from zoo.errors import NotFoundError

CORPUS = "open-audio-xl"

EXTRA_PACKAGES = (
    PackageSpec("flight-of-the-amazon-queen", r"\.SB$", r"/queen\.1c$", archive_kind="queen"),
    PackageSpec("trigger-rally-data", r"^sounds/.+" + AUDIO_SUFFIX, r"data\.zip$"),
    PackageSpec("warzone2100-music", r"^usr/share/games/warzone2100/music/.+\.opus$"),
    PackageSpec("hyperrogue-music", r"^usr/share/hyperrogue/(music|sounds)/.+\.ogg$"),
    PackageSpec("drascula-music", r"^usr/share/scummvm/drascula/audio/.+\.ogg$"),
    PackageSpec("nexuiz-music", r"\.ogg$", r"music\.pk3$"),
    PackageSpec("colobot-common-sounds", r"^usr/share/games/colobot/(sounds|music)/.+" + AUDIO_SUFFIX),
    PackageSpec("extremetuxracer-data", r"^usr/share/games/etr/(sounds|music)/.+" + AUDIO_SUFFIX),
    PackageSpec("xmoto-data", r"^usr/share/games/xmoto/.+" + AUDIO_SUFFIX),
    PackageSpec("frozen-bubble-data", r"^usr/share/games/frozen-bubble/snd/.+" + AUDIO_SUFFIX),
    PackageSpec("pokerth-data", r"^usr/share/games/pokerth/sounds/.+" + AUDIO_SUFFIX),
    PackageSpec("tuxtype-data", r"^usr/share/tuxtype/.+" + AUDIO_SUFFIX),
    PackageSpec("tuxpaint-data", r"^usr/share/tuxpaint/sounds/.+" + AUDIO_SUFFIX),
    PackageSpec("pingus-data", r"^usr/share/games/pingus/data/sounds/.+" + AUDIO_SUFFIX),
    PackageSpec("ri-li-data", r"^usr/share/games/ri-li/.+" + AUDIO_SUFFIX),
    PackageSpec("khangman", r"^usr/share/khangman/.+" + AUDIO_SUFFIX),
    PackageSpec("kanagram", r"^usr/share/kanagram/.+" + AUDIO_SUFFIX),
)
EXTRA_NAMES = tuple(p.name for p in EXTRA_PACKAGES)
PACKAGES = open_audio.PACKAGES + EXTRA_PACKAGES
PACKAGE_NAMES = tuple(p.name for p in PACKAGES)

_SPEECH = re.compile(r"^(flight-of-the-amazon-queen:|klettres-data:)|^0ad-data:.*:audio/voice/"
                     r"|^trigger-rally-data:.*:sounds/codriver/|^redeclipse-data:.*/(player|announcer)/")
_MUSIC = re.compile(r"music", re.IGNORECASE)      # package names and folders (drascula-music, .../Music/)


def content_of(package, path):
    """"speech", "music" or "sounds", from the package and the path in it (for the summary only)."""
    key = f"{package}:{path}"
    if _SPEECH.search(key):
        return "speech"
    return "music" if _MUSIC.search(key) else "sounds"


def _annotate(found):
    """Pool files only: every file of an extra package, the open-audio pool's files of its packages."""
    kept = []
    for row in found:
        split = open_audio.split_of(row["package"], row["path"]) if row["package"] in open_audio.PACKAGE_NAMES \
            else "pretrain"
        if split == "pretrain":
            kept.append(dict(row, split=split, labels={}))
    return kept


def build_open_audio_xl(out_dir, debs_dir=None, download=True, packages=PACKAGE_NAMES, workers=2,
                        progress=True, log=print):
    """Build the pool in `out_dir` (`shards/pretrain`, `pretrain.csv`, `provenance.csv`); returns an
    `open_audio.CorpusReport` whose summary adds the hours of speech, music and sounds."""
    from zoo.cache import cache_dir
    from zoo.data.prepare import prepare_shards
    sides.require_side(packages, "pretrain", CORPUS, PACKAGE_NAMES)
    debs_dir = debs_dir or cache_dir("debs")
    rows, skipped, missing = read_packages(PACKAGES, packages, out_dir, debs_dir, download, _annotate, log)
    if not rows:
        raise debs.DebError(debs_dir, f"no audio found in any {CORPUS} package; see the messages above")
    write_provenance(os.path.join(out_dir, "provenance.csv"), rows)
    manifest = open_audio.write_manifests(out_dir, rows)["pretrain"]
    folder = os.path.join(out_dir, "shards", "pretrain")
    report = prepare_shards(manifest, folder, workers=workers, progress=progress, replace_stale=True,
                            shuffle_seed=open_audio.POOL_SHUFFLE_SEED)
    skipped += [(f"pretrain: {path}", problem) for path, problem in report.skipped]
    hours = content_hours(rows)
    with open(os.path.join(out_dir, "corpus.json"), "w") as f:
        json.dump({"corpus": CORPUS, "hours": hours}, f, indent=1)
    return open_audio.CorpusReport(rows, skipped, missing, {"pretrain": folder}, PACKAGE_NAMES,
                                   extra_lines=[f"{kind} hours: {h:.2f}" for kind, h in hours.items()])


def content_hours(rows):
    """{"speech" | "music" | "sounds": hours} of `rows` (provenance rows with `duration_s`)."""
    hours = collections.Counter()
    for row in rows:
        hours[content_of(row["package"], row["path"])] += row["duration_s"] / 3600
    return {kind: round(hours[kind], 2) for kind in ("speech", "music", "sounds")}


def default_root():
    """Where `hares-zoo prepare --corpus=open-audio-xl` builds the pool without --out: the cache."""
    from zoo.cache import cache_dir
    return cache_dir(CORPUS)


def pool_folder(root=None):
    """The shard folder of the pool (`root` defaults to the cache's)."""
    root = root or default_root()
    folder = os.path.join(root, "shards", "pretrain")
    if not os.path.exists(os.path.join(folder, "dataset_info.json")):
        raise NotFoundError(f"no {CORPUS} corpus at {root}; build it with `hares-zoo prepare --corpus={CORPUS}"
                            f"{'' if root == default_root() else ' --out=' + root}`")
    return folder
