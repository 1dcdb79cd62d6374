"""Audio out of Debian packages: which files a package holds (`PackageSpec`), copying them out of its
`.deb` (`extract_package`, archive entries included), reading their durations (`describe`) and
obtaining the `.deb` (`obtain_deb`). The corpora (`open_audio`, `cross_source`) say which packages
and what labels; this module knows nothing of either.
"""

import csv
import dataclasses
import functools
import json
import os
import re
import shutil
import tempfile
import zipfile

import soundfile

from zoo.data import debs
from zoo.data.corpora import c4group, gus_patch, queen_resource, sides

AUDIO_SUFFIX = r"\.(ogg|wav|flac)$"


@dataclasses.dataclass(frozen=True)
class PackageSpec:
    name: str
    audio: str                     # regex on paths in the package (or in an archive, with `archives`)
    archives: str = ""             # regex on archives in the package whose entries hold the audio
    archive_kind: str = "zip"      # "zip" (zip, pk3, wz), "queen" (`queen_resource`: MP3 speech),
                                   # "gus" (`gus_patch`: a `.pat` instrument's samples, one WAV each) or
                                   # "c4group" (`c4group`: an OpenClonk group file, nested groups walked)


def _archive_entries(path, kind, wanted):
    """(entry name, open) of the entries of archive `path` whose names `wanted(name)` accepts;
    `open()` gives the entry as a binary stream (a context manager). Raises ValueError when `path`
    is not a readable archive of `kind`."""
    if kind == "queen":
        yield from queen_resource.iter_entries(path, wanted)
        return
    if kind == "gus":
        yield from gus_patch.iter_entries(path, wanted)
        return
    if kind == "c4group":
        yield from c4group.iter_entries(path, wanted)
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise ValueError(f"not a readable zip archive ({error})") from error
    with archive:
        for info in archive.infolist():
            if not info.is_dir() and wanted(info.filename):
                yield info.filename, functools.partial(archive.open, info)


def _safe_relative(path):
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    return "/".join(parts)


LICENCE_RULE = 2        # 1: the package's licences on every file; 2: each file's own (DEP-5 stanzas)


def extract_package(deb_path, spec, audio_root, log=print):
    """Copy the audio of one `.deb` to `audio_root/PACKAGE/`; returns (rows, problems).

    rows: dicts with package, version, licence, path (in the package; archive entries as
    `ARCHIVE:ENTRY`) and file (relative to `audio_root`'s parent). problems: [(where, what)].
    Each row's licence is the file's own, by the copyright file's `Files:` stanzas
    (`debs.licence_of_path`); a free-form copyright file, which names licences but not for which
    files, gives every file all the licences it names. A file under the GFDL alone is left out (a
    problem), since published weights are GPL-3.0-or-later and the GFDL is not compatible with it.
    A marker `audio_root/PACKAGE/extracted.json` makes a rerun with the same `spec` skip the package;
    a changed `spec` (another file pattern) or licence rule extracts it again.
    """
    package_dir = os.path.join(audio_root, spec.name)
    marker = os.path.join(package_dir, "extracted.json")
    if os.path.exists(marker):
        with open(marker) as f:
            saved = json.load(f)
        if saved.get("spec") == dataclasses.asdict(spec) and saved.get("licence_rule") == LICENCE_RULE:
            return saved["rows"], [tuple(p) for p in saved["problems"]]
    control = debs.read_control(deb_path)
    version = control.get("Version", "unknown")
    copyright_path = f"usr/share/doc/{spec.name}/copyright"
    audio_re = re.compile(spec.audio, re.IGNORECASE)
    archive_re = re.compile(spec.archives) if spec.archives else None
    shutil.rmtree(package_dir, ignore_errors=True)
    os.makedirs(package_dir)
    files, problems, licences, stanzas = [], [], [], []

    def save(path, stream):
        rel = os.path.join("audio", spec.name, _safe_relative(path.replace(":", "/")))
        full = os.path.join(os.path.dirname(audio_root), rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as out:
            shutil.copyfileobj(stream, out, 1 << 20)
        files.append((path, rel))

    def wanted(name):
        return (name == copyright_path or bool(archive_re and archive_re.search(name))
                or (archive_re is None and bool(audio_re.search(name))))

    for name, stream in debs.iter_data_files(deb_path, wanted):
        if name == copyright_path:
            text = stream.read().decode("utf-8", "replace")
            licences, stanzas = debs.licences_from_copyright(text), debs.copyright_stanzas(text)
        elif archive_re is None:
            save(name, stream)
        else:
            log(f"{spec.name}: reading audio entries of {name}")
            with tempfile.NamedTemporaryFile(dir=package_dir, suffix=".zip") as tmp:
                shutil.copyfileobj(stream, tmp, 1 << 20)
                tmp.flush()
                try:
                    for entry_name, open_entry in _archive_entries(tmp.name, spec.archive_kind, audio_re.search):
                        try:
                            with open_entry() as entry:
                                save(f"{name}:{entry_name}", entry)
                        except (zipfile.BadZipFile, OSError, EOFError) as error:
                            problems.append((f"{name}:{entry_name}", f"corrupt {spec.archive_kind} entry ({error})"))
                except ValueError as error:      # not a readable archive at all
                    problems.append((name, str(error)))
    package_licence = "; ".join(licences) or "unknown (no copyright file)"
    rows = []
    for path, rel in files:
        licence = debs.licence_of_path(stanzas, path) or package_licence
        if debs.gfdl_only(licence):            # the GFDL is not GPL-compatible: such files stay out of the pools
            problems.append((path, f"left out: under {licence} only, which published weights' GPL-3.0-or-later "
                                   "cannot take (docs/licences.md)"))
            os.remove(os.path.join(os.path.dirname(audio_root), rel))
            continue
        rows.append({"package": spec.name, "version": version, "licence": licence, "path": path, "file": rel})
    with open(marker, "w") as f:
        json.dump({"spec": dataclasses.asdict(spec), "licence_rule": LICENCE_RULE, "rows": rows,
                   "problems": problems}, f)
    return rows, problems


def describe(corpus_root, rows, log=print):
    """Add `duration_s` to each row from the file's header; undecodable files are dropped.

    Returns (kept rows, problems)."""
    kept, problems = [], []
    for row in rows:
        path = os.path.join(corpus_root, row["file"])
        try:
            info = soundfile.info(path)
            if info.frames <= 0:
                raise RuntimeError("no samples")
            row = dict(row, duration_s=round(info.frames / info.samplerate, 3))
        except (RuntimeError, soundfile.LibsndfileError, ValueError, EOFError) as error:
            problems.append((f"{row['package']}:{row['path']}", f"cannot decode audio ({error})"))
            log(f"skipped {row['package']}:{row['path']}: cannot decode audio ({error})")
            continue
        kept.append(row)
    return kept, problems


def obtain_deb(package, debs_dir, download, log=print):
    """The `.deb` of `package` in `debs_dir`, else `apt-get download`ed there (unless not `download`).
    Raises `debs.DebError` naming the package when it cannot be had, and `sides.ReservedPackageError`
    for a reserved package, before anything is fetched or opened."""
    sides.refuse_reserved(package, "obtain_deb")
    deb = debs.find_deb(debs_dir, package)
    if deb is None:
        if not download:
            raise debs.DebError(package, f"no {package}_*.deb in {debs_dir}")
        log(f"{package}: apt-get download into {debs_dir}")
        deb = debs.apt_download(package, debs_dir)
    return deb


def write_provenance(path, rows):
    """One CSV row per kept file: package, version, licence, path in the package, file, duration,
    split(s) and labels (`task=label;...`)."""
    columns = ["package", "version", "licence", "path", "file", "duration_s", "split", "labels"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        for row in rows:
            writer.writerow(dict(row, labels=";".join(f"{k}={v}" for k, v in sorted(row["labels"].items()))))


def read_packages(specs, wanted, out_dir, debs_dir, download, annotate, log=print):
    """Obtain, extract and describe the packages of `specs` named in `wanted` into `out_dir/audio/`.

    `annotate(rows)` adds labels (and splits) to one package's extracted rows and returns those to
    keep. A package that cannot be had or read is reported, counted and skipped, as is an undecodable
    file. Returns (kept rows with `duration_s`, skipped [(where, problem)], missing package names)."""
    audio_root = os.path.join(out_dir, "audio")
    os.makedirs(audio_root, exist_ok=True)
    rows, skipped, missing = [], [], []
    for spec in specs:
        if spec.name not in wanted:
            continue
        try:
            deb = obtain_deb(spec.name, debs_dir, download, log)
            log(f"{spec.name}: reading {os.path.basename(deb)}")
            found, problems = extract_package(deb, spec, audio_root, log)
        except debs.DebError as error:
            log(f"skipped package {spec.name}: {error.problem}")
            skipped.append((spec.name, error.problem))
            missing.append(spec.name)
            continue
        skipped += problems
        kept, problems = describe(out_dir, annotate(found), log)
        rows += kept
        skipped += problems
    return rows, skipped, missing
