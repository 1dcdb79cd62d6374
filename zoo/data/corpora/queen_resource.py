"""Entries of a compressed "Flight of the Amazon Queen" resource file (`queen.1c`, the freeware CD
version that Debian's `flight-of-the-amazon-queen` ships for ScummVM), read with the standard library.

Layout (all integers big-endian): the tag `QTBL`, a 6-byte version string, 2 bytes unused, one byte
naming the compression of the speech (1 = MP3, 2 = Ogg Vorbis, 3 = FLAC), a 2-byte entry count,
then one 21-byte record per entry: the name (12 bytes, NUL-padded), the bundle number (1 byte), the
offset of the entry's data in the file (4 bytes) and its size (4 bytes). The game's dialogue lines
are the `.SB` entries, each a whole MP3 (or Ogg or FLAC) stream that soundfile decodes as it is.

    for name, open_entry in iter_entries("queen.1c", lambda n: n.endswith(".SB")):
        with open_entry() as stream: ...
"""

import functools
import io
import struct

TAG = b"QTBL"
HEADER = struct.Struct(">4s6s2sBH")          # tag, version, unused, compression, entries
RECORD = struct.Struct(">12sBII")            # name, bundle, offset, size
COMPRESSIONS = {1: "mp3", 2: "ogg", 3: "flac"}


def _entry(path, offset, size):
    with open(path, "rb") as f:
        f.seek(offset)
        data = f.read(size)
    if len(data) != size:
        raise EOFError(f"entry at byte {offset} wants {size} bytes, the file ends after {len(data)}")
    return io.BytesIO(data)


def read_table(path):
    """[(name, offset, size)] of every entry of the resource file at `path`, and its compression
    ("mp3", "ogg", "flac"). Raises ValueError when `path` is not such a file."""
    with open(path, "rb") as f:
        head = f.read(HEADER.size)
        if len(head) < HEADER.size or head[:4] != TAG:
            raise ValueError(f"not a compressed Queen resource file (no {TAG.decode()} header)")
        _, _, _, compression, count = HEADER.unpack(head)
        table = f.read(count * RECORD.size)
        end = f.seek(0, 2)
    if compression not in COMPRESSIONS:
        raise ValueError(f"unknown speech compression {compression} in the Queen resource file "
                         f"(expected one of {sorted(COMPRESSIONS)})")
    if len(table) < count * RECORD.size:
        raise ValueError(f"Queen resource table cut short: {count} entries announced, "
                         f"{len(table) // RECORD.size} present")
    entries = []
    for i in range(count):
        name, _, offset, size = RECORD.unpack_from(table, i * RECORD.size)
        entries.append((name.rstrip(b"\0").decode("latin-1"), offset, size))
        if offset + size > end:
            raise ValueError(f"Queen resource entry {entries[-1][0]} runs past the end of the file")
    return entries, COMPRESSIONS[compression]


def iter_entries(path, wanted):
    """(name, open) of each entry whose name `wanted(name)` accepts; `open()` gives its bytes as a
    stream. Raises ValueError when `path` is not a compressed Queen resource file."""
    entries, _ = read_table(path)
    for name, offset, size in entries:
        if wanted(name):
            yield name, functools.partial(_entry, path, offset, size)
