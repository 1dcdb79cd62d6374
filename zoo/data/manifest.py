"""CSV manifests of audio clips.

Format (a header row is required; column order is free):

    path,label,split,start,end
    dogs/bark_01.wav,dog,train,,
    street/clip7.flac,car;horn,test,2.5,7.5

- `path` (required): relative to the manifest's folder; a path that resolves outside that folder
  (`../x.wav`, an absolute path elsewhere) is refused.
- `label` (required column, may be empty for unlabelled audio): one label, or several separated by
  `;` (`LABEL_SEPARATOR`) for multi-label tasks.
- `split` (optional): e.g. `train`, `test`; empty means `train`.
- `start`, `end` (optional): a segment in seconds; empty means the whole file.
"""

import csv
import dataclasses
import os
from typing import Optional, Tuple

from zoo.errors import ManifestError

LABEL_SEPARATOR = ";"
REQUIRED_COLUMNS = ("path", "label")
OPTIONAL_COLUMNS = ("split", "start", "end")
DEFAULT_SPLIT = "train"


@dataclasses.dataclass(frozen=True)
class ManifestRow:
    path: str                   # absolute path of the audio file
    relative_path: str          # as written in the manifest
    labels: Tuple[str, ...]     # empty for unlabelled audio
    split: str
    start: Optional[float]      # seconds, or None for the file's start
    end: Optional[float]        # seconds, or None for the file's end
    line: int                   # 1-based line in the manifest

    @property
    def clip_id(self):
        """A stable id: the relative path, plus `@start-end` for a segment."""
        if self.start is None and self.end is None:
            return self.relative_path
        return f"{self.relative_path}@{self.start or 0:g}-{'' if self.end is None else f'{self.end:g}'}"


def _seconds(manifest, line, column, text):
    if text is None or text.strip() == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise ManifestError(manifest, line, f"column {column!r} must be seconds (a number), got {text!r}")
    if value < 0 or value != value:
        raise ManifestError(manifest, line, f"column {column!r} must be >= 0 seconds, got {text!r}")
    return value


def read_manifest(manifest_path):
    """Parse and validate a manifest; returns a list of `ManifestRow` in file order."""
    manifest_path = os.fspath(manifest_path)
    if not os.path.isfile(manifest_path):
        raise ManifestError(manifest_path, None, "file not found")
    root = os.path.realpath(os.path.dirname(os.path.abspath(manifest_path)))
    with open(manifest_path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        columns = [c.strip() for c in (reader.fieldnames or [])]
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise ManifestError(
                manifest_path, 1, f"header must name columns {', '.join(REQUIRED_COLUMNS)} (optional: "
                f"{', '.join(OPTIONAL_COLUMNS)}); missing {', '.join(missing)} in header {columns}")
        unknown = [c for c in columns if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
        if unknown:
            raise ManifestError(manifest_path, 1, f"unknown column(s) {unknown}; allowed: "
                                f"{', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)}")
        reader.fieldnames = columns
        rows = []
        for record in reader:
            line = reader.line_num
            if None in record:
                raise ManifestError(manifest_path, line, f"more fields than the {len(columns)} header columns")
            rel = (record.get("path") or "").strip()
            if not rel:
                raise ManifestError(manifest_path, line, "empty 'path'")
            full = os.path.realpath(os.path.join(root, rel))
            if os.path.commonpath([root, full]) != root:
                raise ManifestError(
                    manifest_path, line, f"path {rel!r} escapes the manifest's folder {root!r}; "
                    "paths must stay inside it")
            labels = tuple(l.strip() for l in (record.get("label") or "").split(LABEL_SEPARATOR) if l.strip())
            start = _seconds(manifest_path, line, "start", record.get("start"))
            end = _seconds(manifest_path, line, "end", record.get("end"))
            if start is not None and end is not None and end <= start:
                raise ManifestError(manifest_path, line, f"end ({end}) must be after start ({start})")
            split = (record.get("split") or "").strip() or DEFAULT_SPLIT
            rows.append(ManifestRow(full, rel, labels, split, start, end, line))
    if not rows:
        raise ManifestError(manifest_path, None, "no clips listed (only a header, or an empty file)")
    return rows


def label_vocabulary(rows):
    """Sorted distinct labels over all rows."""
    return sorted({label for row in rows for label in row.labels})


def write_manifest(path, rows):
    """Write `(relative_path, labels, split)` tuples (labels a str or a sequence) as a manifest."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "label", "split"])
        for rel, labels, split in rows:
            if not isinstance(labels, str):
                labels = LABEL_SEPARATOR.join(labels)
            writer.writerow([rel, labels, split])
