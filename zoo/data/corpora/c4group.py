"""Entries of an OpenClonk group file (`.ocg`, the "C4Group" format of `openclonk-data`'s
`Sound.ocg`), read with the standard library.

Layout, as the files in the package have it (integers little-endian):
- the whole file is a gzip stream whose two magic bytes are `1E 8C` instead of `1F 8B`;
- inside, a group is a 204-byte header, then one 316-byte record per entry, then the entries'
  data. The header is scrambled: every byte XOR `0xED`, and in every 3-byte triplet the first and
  third byte swapped (`unscramble` undoes both). Unscrambled, it starts with the 24-byte id
  `RedWolf Design GrpFolder`, padded to 28 bytes, then two version numbers and the entry count
  (three int32);
- a record is the entry's name (260 bytes, NUL-padded), then int32s: packed (unused here), child
  group (1: the entry is itself a group, nested as it is, with its own scrambled header), size,
  a reserved one, and the offset of the entry's data from the end of the record table; the rest
  is unused here.

    for name, open_entry in iter_entries("Sound.ocg", lambda n: n.endswith(".ogg")):
        with open_entry() as stream: ...       # name: "Animals.ocg/Bat.ocg/Chirp.wav"
"""

import functools
import gzip
import io
import struct
import zlib

MAGIC = b"\x1e\x8c"                 # the group file's gzip magic (gzip's own is 1F 8B)
GZIP_MAGIC = b"\x1f\x8b"
ID = b"RedWolf Design GrpFolder"
HEADER_SIZE = 204
HEADER_COUNTS = struct.Struct("<3i")           # version 1, version 2, entries; at byte 28 of the header
RECORD = struct.Struct("<260s5i")              # name, packed, child group, size, reserved, offset
RECORD_SIZE = 316
SCRAMBLE_XOR = 0xED
MAX_DEPTH = 16                      # nested groups deeper than this are refused (a loop in a bad file)


def unscramble(header):
    """The plain bytes of a scrambled group header: the first and third byte of every full triplet
    swapped back, then every byte XOR `SCRAMBLE_XOR`. (Its own inverse up to the order: `scramble`.)"""
    data = bytearray(header)
    for i in range(0, len(data) - 2, 3):
        data[i], data[i + 2] = data[i + 2], data[i]
    return bytes(b ^ SCRAMBLE_XOR for b in data)


def scramble(header):
    """The inverse of `unscramble` (for writing test files)."""
    data = bytearray(b ^ SCRAMBLE_XOR for b in header)
    for i in range(0, len(data) - 2, 3):
        data[i], data[i + 2] = data[i + 2], data[i]
    return bytes(data)


def unpack(path):
    """The group file's plain bytes: gunzipped when it starts with `MAGIC`, as they are when it
    starts with a scrambled header. Raises ValueError naming what is wrong."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == MAGIC:
        try:
            return gzip.decompress(GZIP_MAGIC + data[2:])
        except (OSError, EOFError, zlib.error) as error:
            raise ValueError(f"corrupt OpenClonk group file (its gzip stream: {error})") from error
    if unscramble(data[:HEADER_SIZE]).startswith(ID):
        return data
    raise ValueError("not an OpenClonk group file (neither its packed magic 1E 8C nor a group header)")


def read_group(data, base=0, prefix="", depth=0):
    """[(name, offset, size)] of every file in the group at byte `base` of `data` (plain bytes),
    nested groups walked, names `Group.ocg/File.wav`. Raises ValueError naming what is wrong."""
    if depth > MAX_DEPTH:
        raise ValueError(f"OpenClonk group nested more than {MAX_DEPTH} deep at {prefix!r}")
    header = unscramble(data[base:base + HEADER_SIZE])
    where = f"group {prefix.rstrip('/') or '(top)'}"
    if len(header) < HEADER_SIZE or not header.startswith(ID):
        raise ValueError(f"OpenClonk {where}: no group header at byte {base}")
    _, _, count = HEADER_COUNTS.unpack_from(header, 28)
    table = base + HEADER_SIZE
    start = table + count * RECORD_SIZE
    if count < 0 or start > len(data):
        raise ValueError(f"OpenClonk {where}: table cut short ({count} entries announced, the data ends "
                         f"after {max(0, (len(data) - table) // RECORD_SIZE)})")
    files = []
    for i in range(count):
        raw_name, _, child, size, _, offset = RECORD.unpack_from(data, table + i * RECORD_SIZE)
        name = prefix + raw_name.split(b"\0")[0].decode("latin-1")
        if offset < 0 or size < 0 or start + offset + size > len(data):
            raise ValueError(f"OpenClonk {where}: entry {name} runs past the end of the file")
        if child:
            files += read_group(data, start + offset, name + "/", depth + 1)
        else:
            files.append((name, start + offset, size))
    return files


def iter_entries(path, wanted):
    """(name, open) of each file in the group file at `path` whose name `wanted(name)` accepts;
    `open()` gives its bytes as a stream. Raises ValueError when `path` is not a readable group file."""
    data = unpack(path)
    for name, offset, size in read_group(data):
        if wanted(name):
            yield name, functools.partial(io.BytesIO, data[offset:offset + size])
