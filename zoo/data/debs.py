"""Reading Debian packages (`.deb`) without installing them: the control fields, the copyright
file's licences, and the files of the data archive, streamed one by one.

A `.deb` is an `ar` archive holding `debian-binary`, `control.tar.*` and `data.tar.*` (xz, gz, bz2
or uncompressed; zstd when the `zstandard` module is installed). Nothing here needs root, dpkg or
an unpacked tree, so a package of gigabytes is read with bounded memory and disk.

    info = read_control("klettres-data_22.12.3-1_all.deb")      # {"Package": ..., "Version": ...}
    for member, fileobj in iter_data_files(path, wanted=lambda name: name.endswith(".ogg")):
        ...
"""

import io
import os
import re
import subprocess
import tarfile

from zoo.errors import ZooError

AR_MAGIC = b"!<arch>\n"
AR_HEADER_BYTES = 60


class DebError(ZooError):
    """A `.deb` that is missing, truncated or not a Debian package."""

    def __init__(self, path, problem):
        self.path, self.problem = os.fspath(path), problem
        super().__init__(f"{self.path}: {problem}")


class _Section(io.RawIOBase):
    """A read-only window `[start, start + size)` of a file, as a stream."""

    def __init__(self, f, start, size):
        self._f, self._start, self._size, self._pos = f, start, size, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self._size - self._pos)
        if n <= 0:
            return 0
        self._f.seek(self._start + self._pos)
        data = self._f.read(n)
        buffer[:len(data)] = data
        self._pos += len(data)
        return len(data)


def ar_members(path):
    """{member name: (offset, size)} of the `ar` archive `path` (a `.deb`)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise DebError(path, "file not found")
    members = {}
    with open(path, "rb") as f:
        if f.read(len(AR_MAGIC)) != AR_MAGIC:
            raise DebError(path, "not a Debian package (no ar archive header)")
        while True:
            header = f.read(AR_HEADER_BYTES)
            if not header:
                break
            if len(header) < AR_HEADER_BYTES or header[58:60] != b"`\n":
                raise DebError(path, "truncated or corrupt ar member header")
            name = header[:16].decode("ascii", "replace").strip().rstrip("/")
            size = int(header[48:58].decode("ascii").strip())
            members[name] = (f.tell(), size)
            f.seek(size + (size % 2), os.SEEK_CUR)
    return members


def _open_tar(path, prefix):
    """Stream-open the `prefix.tar.*` member of the `.deb` at `path` as a `tarfile` (mode `r|*`)."""
    members = ar_members(path)
    names = [n for n in members if n.startswith(prefix + ".tar")]
    if not names:
        raise DebError(path, f"no {prefix}.tar.* member (members: {', '.join(members)})")
    name = names[0]
    offset, size = members[name]
    raw = open(os.fspath(path), "rb")
    stream = io.BufferedReader(_Section(raw, offset, size), buffer_size=1 << 20)
    if name.endswith(".zst"):
        try:
            import zstandard
        except ImportError:
            raise DebError(path, f"{name} is zstd-compressed; pip install zstandard to read it")
        stream = zstandard.ZstdDecompressor().stream_reader(stream)
        return tarfile.open(fileobj=stream, mode="r|"), raw
    return tarfile.open(fileobj=stream, mode="r|*"), raw


def read_control(path):
    """The fields of the package's `control` file: {"Package": ..., "Version": ..., ...}."""
    archive, raw = _open_tar(path, "control")
    try:
        for member in archive:
            if member.isfile() and os.path.basename(member.name) == "control":
                text = archive.extractfile(member).read().decode("utf-8", "replace")
                return dict(re.findall(r"^([A-Za-z0-9-]+):[ \t]*(.*)$", text, re.MULTILINE))
    except (tarfile.TarError, EOFError, OSError) as error:
        raise DebError(path, f"corrupt control archive ({error})") from error
    finally:
        archive.close()
        raw.close()
    raise DebError(path, "control archive has no control file")


FREE_FORM_LICENCES = (   # (pattern, name) for copyright files that are not machine-readable (DEP-5)
    (r"GNU\s+General\s+Public\s+License,?\s+version\s+2|version\s+2\s+of\s+the\s+License", "GPL-2+"),
    (r"GNU\s+General\s+Public\s+License,?\s+version\s+3|version\s+3\s+of\s+the\s+License", "GPL-3+"),
    (r"GNU\s+(Library|Lesser)\s+General\s+Public\s+License", "LGPL"),
    (r"Creative\s+Commons\s+Attribution[-\s]Share[-\s]?Alike", "CC-BY-SA"),
    (r"Creative\s+Commons\s+Attribution(?![-\s]Share)", "CC-BY"),
    (r"public\s+domain", "public-domain"),
)


def licences_from_copyright(text):
    """Distinct licence names of a Debian copyright file, in order: its `License:` fields (DEP-5,
    the first is the `Files: *` stanza's, i.e. the package's main licence), or for a free-form file
    the well-known licences it names, marked "(free-form copyright file)"."""
    names = []
    for name in re.findall(r"^License:[ \t]*(\S.*?)[ \t]*$", text, re.MULTILINE):
        if name not in names:
            names.append(name)
    if not names:
        names = [f"{name} (free-form copyright file)" for pattern, name in FREE_FORM_LICENCES
                 if re.search(pattern, text, re.IGNORECASE)]
    return names


def copyright_stanzas(text):
    """[(patterns, licence)] of a machine-readable (DEP-5) copyright file's `Files:` stanzas, in
    order; [] for a free-form file. A pattern is a path relative to the source tree, `*` matching
    any run of characters (slashes included) and `?` one character."""
    stanzas = []
    for block in re.split(r"\n[ \t]*\n", text):
        files = re.search(r"^Files:[ \t]*((?:.*\S.*\n?)(?:^[ \t]+\S.*\n?)*)", block, re.MULTILINE)
        licence = re.search(r"^License:[ \t]*(\S.*?)[ \t]*$", block, re.MULTILINE)
        if files and licence:
            stanzas.append((files.group(1).split(), licence.group(1)))
    return stanzas


def gfdl_only(licence):
    """True when every alternative of a DEP-5 licence expression is a GFDL one ("GFDL-NIV-1.2+";
    not "GFDL-1.2+ or GPL-2+", which may be taken under the GPL)."""
    alternatives = [a.strip() for a in re.split(r"\s+or\s+", licence) if a.strip()]
    return bool(alternatives) and all(a.startswith("GFDL") for a in alternatives)


def licence_of_path(stanzas, path):
    """The licence DEP-5 gives a file: the last stanza with a pattern that matches the path or a
    trailing part of it at a folder boundary (an installed path such as
    `usr/share/games/x/data/sounds/a.ogg` holds the source path `data/sounds/a.ogg`; an archive
    entry `pack.zip:audio/a.ogg` is matched as `pack.zip/audio/a.ogg`). None when nothing matches."""
    import fnmatch
    parts = path.replace(":", "/").split("/")
    tails = ["/".join(parts[i:]) for i in range(len(parts))]
    found = None
    for patterns, licence in stanzas:
        if any(fnmatch.fnmatchcase(tail, pattern) for pattern in patterns for tail in tails):
            found = licence
    return found


def iter_data_files(path, wanted):
    """Yield `(name, fileobj)` for each regular file of the data archive with `wanted(name)` true.

    `name` has no leading `./` (e.g. `usr/share/doc/pkg/copyright`). Each `fileobj` must be read
    before the next item is asked for: the archive is streamed, never unpacked. Links are skipped.
    """
    archive, raw = _open_tar(path, "data")
    try:
        for member in archive:
            name = member.name[2:] if member.name.startswith("./") else member.name
            if member.isfile() and wanted(name):
                yield name, archive.extractfile(member)
    except (tarfile.TarError, EOFError, OSError) as error:
        raise DebError(path, f"corrupt data archive ({error})") from error
    finally:
        archive.close()
        raw.close()


def find_deb(folder, package):
    """The newest-named `PACKAGE_*.deb` in `folder`, or None."""
    if not folder or not os.path.isdir(folder):
        return None
    found = sorted(n for n in os.listdir(folder) if n.startswith(package + "_") and n.endswith(".deb"))
    return os.path.join(folder, found[-1]) if found else None


def apt_download(package, folder):
    """`apt-get download PACKAGE` into `folder` (no install, no root needed); returns the `.deb`'s
    path. Raises DebError with apt's message when it fails (no apt, unknown package, no network)."""
    os.makedirs(folder, exist_ok=True)
    try:
        result = subprocess.run(["apt-get", "download", package], cwd=folder, capture_output=True, text=True)
    except FileNotFoundError:
        raise DebError(package, "apt-get not found; download the .deb elsewhere and pass its folder with --debs")
    found = find_deb(folder, package)
    if result.returncode != 0 or found is None:
        message = (result.stderr or result.stdout).strip().splitlines()
        raise DebError(package, f"apt-get download failed: {message[-1] if message else result.returncode}")
    return found
