"""Data-set adapters: a local copy of a HARES data set, in its published layout, -> TFRecord shards
that `hares-zoo probe --data_dir` reads (`DATA_DIR/<task>/`).

    hares-zoo prepare --task=esc50 --source=/data/ESC-50-master --data_dir=/data/hares
    hares-zoo prepare --task=nsynth_instrument,nsynth_pitch --source=~/tensorflow_datasets --data_dir=/data/hares

`prepare_task(task, source, data_dir)`: `source` is the data set's folder (the file layouts in
`describe_layouts()`), or a TFDS `data_dir` for the sets tensorflow-datasets has
(`zoo.hares.adapters.tfds_source`). `fmt="auto"` reads TFDS when `source/<tfds name>/` exists and
the release files otherwise. Nothing is downloaded; a missing data set raises `MissingDataError`
naming where it looked and the layout it expects. Unreadable audio files are reported and skipped.
"""

import os

from zoo.hares.adapters import environment, music, speech
from zoo.hares.adapters.base import MissingDataError  # noqa: F401 (re-exported)
from zoo.hares.adapters.tfds_source import LAYOUT as TFDS_LAYOUT
from zoo.hares.adapters.tfds_source import TFDS_SOURCES, tfds_examples
from zoo.errors import ConfigError, UnknownNameError

FILE_ADAPTERS = {a.task: a for a in environment.ADAPTERS + speech.ADAPTERS + music.ADAPTERS}
FORMATS = ("auto", "files", "tfds")


def adapted_tasks():
    """Every HARES task some adapter can read."""
    from zoo.hares.tasks import list_tasks
    return [t for t in list_tasks("hares") if t in FILE_ADAPTERS or t in TFDS_SOURCES]


def describe_layouts(task):
    """The on-disk layouts `task` can be read from, as text."""
    parts = []
    if task in FILE_ADAPTERS:
        parts.append("release files:\n" + FILE_ADAPTERS[task].layout)
    if task in TFDS_SOURCES:
        parts.append(f"TFDS ({TFDS_SOURCES[task].tfds_name}):\n" + TFDS_LAYOUT)
    return "\n".join(parts)


def choose_format(task, source, fmt="auto"):
    if fmt not in FORMATS:
        raise ConfigError(f"format {fmt!r}; expected one of {FORMATS}")
    if task not in FILE_ADAPTERS and task not in TFDS_SOURCES:
        raise UnknownNameError(f"no adapter for task {task!r}; adapted tasks: {', '.join(adapted_tasks())}")
    if fmt == "tfds" and task not in TFDS_SOURCES:
        raise ConfigError(f"task {task} is not in TFDS; read it from its release files (--format=files)")
    if fmt == "files" and task not in FILE_ADAPTERS:
        raise ConfigError(f"task {task} has only a TFDS adapter (--format=tfds)")
    if fmt != "auto":
        return fmt
    if task in TFDS_SOURCES and (task not in FILE_ADAPTERS or
                                 os.path.isdir(os.path.join(source, TFDS_SOURCES[task].tfds_name))):
        return "tfds"
    return "files"


def prepare_task(task, source, data_dir, fmt="auto", workers=2, clips_per_shard=256, progress=True,
                 log=print, max_per_split=None):
    """Shard `task` from `source` into `data_dir/task`; returns the `PrepareReport` (skips listed).

    `max_per_split` caps TFDS examples per split (a quick look at a big set)."""
    from zoo.data.prepare import prepare_shards, write_example_shards
    source = os.path.abspath(os.path.expanduser(os.fspath(source)))
    out = os.path.join(os.fspath(data_dir), task)
    if choose_format(task, source, fmt) == "tfds":
        vocabulary, examples, total, fingerprint = tfds_examples(task, source, max_per_split)
        report = write_example_shards(examples, out, vocabulary, fingerprint, clips_per_shard,
                                      progress=progress, total=total)
    else:
        built = FILE_ADAPTERS[task].build(source)
        for note in built.notes:
            log(f"note: {note}")
        report = prepare_shards(built.rows, out, clips_per_shard, workers, progress=progress,
                                vocabulary=built.vocabulary)
    log(f"{task}: {report.summary()}")
    return report
