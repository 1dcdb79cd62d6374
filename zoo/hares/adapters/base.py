"""Shared pieces of the data-set adapters: rows, layout errors, stable splits, CSV reading.

An adapter turns a local copy of a data set, in its published on-disk layout, into `ManifestRow`s
(absolute audio paths, labels, split, optional segment) and a fixed label vocabulary; `zoo.hares.
adapters.prepare_task` shards them with `zoo.data.prepare.prepare_shards`, so a bad or missing
audio file is reported and skipped there, never fatal.
"""

import csv
import dataclasses
import os
from typing import Callable, Sequence

from zoo.data.audio_io import AUDIO_EXTENSIONS
from zoo.data.manifest import ManifestRow
from zoo.errors import ZooError


class MissingDataError(ZooError):
    """A data set is not where the adapter looked: names the place and the layout it expects."""

    def __init__(self, task, source, problem, layout):
        super().__init__(f"HARES task {task}: {problem} (looked in {source}).\nExpected layout:\n{layout}")


@dataclasses.dataclass(frozen=True)
class Rows:
    """What a file adapter returns: the clips, the label vocabulary, and notes for the user."""
    rows: list
    vocabulary: Sequence[str]
    notes: tuple = ()


@dataclasses.dataclass(frozen=True)
class FileAdapter:
    task: str
    layout: str                          # the on-disk layout it reads, shown in errors and --help
    build: Callable[[str], Rows]         # source folder -> Rows


def row(root, relative_path, labels, split, start=None, end=None):
    """A `ManifestRow` for `root/relative_path` (clip id = the relative path, plus the segment)."""
    relative_path = relative_path.replace("\\", "/").lstrip("/")
    labels = (labels,) if isinstance(labels, str) else tuple(labels)
    return ManifestRow(os.path.join(root, relative_path), relative_path, labels, split, start, end, 0)


def require(task, source, relative_paths, layout):
    """The first of `relative_paths` present under `source` (absolute), or MissingDataError."""
    if not os.path.isdir(source):
        raise MissingDataError(task, source, "the source folder does not exist", layout)
    for rel in relative_paths:
        path = os.path.join(source, rel)
        if os.path.exists(path):
            return path
    raise MissingDataError(task, source, f"none of {', '.join(relative_paths)} found", layout)


def read_csv(path, delimiter=",", comment=None):
    """Rows of a CSV/TSV file as lists of stripped strings (blank lines and `comment` lines dropped)."""
    with open(path, newline="", encoding="utf-8") as f:
        lines = [l for l in f if l.strip() and not (comment and l.lstrip().startswith(comment))]
    return [[cell.strip() for cell in r] for r in csv.reader(lines, delimiter=delimiter, skipinitialspace=True)]


def read_dict_csv(path, required, task, delimiter=","):
    """`csv.DictReader` rows, refusing a header without the `required` columns (named in the error)."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f, delimiter=delimiter)
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in required if c not in header]
        if missing:
            raise ZooError(f"HARES task {task}: {path} lacks column(s) {missing}; its header is {header}")
        reader.fieldnames = header
        return [{k: (v or "").strip() for k, v in r.items() if k is not None} for r in reader]


def index_audio(root):
    """{file stem: path} of every audio file under `root` (recursive)."""
    found = {}
    for folder, _, files in os.walk(root):
        for name in files:
            stem, ext = os.path.splitext(name)
            if ext.lower() in AUDIO_EXTENSIONS:
                found.setdefault(stem, os.path.join(folder, name))
    return found
