"""Fake Debian packages for the corpus tests: real-format `.deb` files (ar archive, control and data
tarballs) holding generated audio, built in a temporary folder; nothing downloads."""

import io
import tarfile

import numpy as np
import soundfile

from zoo.data import debs

COPYRIGHT = ("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
             "Files: *\nCopyright: 2024 Someone\nLicense: CC-BY-SA-3.0\n\n"
             "Files: debian/*\nLicense: GPL-2+\n")


def ogg_bytes(seconds=0.5, rate=22050, freq=440.0):
    t = np.arange(int(seconds * rate)) / rate
    buffer = io.BytesIO()
    soundfile.write(buffer, 0.3 * np.sin(2 * np.pi * freq * t), rate, format="OGG", subtype="VORBIS")
    return buffer.getvalue()


def _tar_xz(files):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:xz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo("./" + name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def write_deb(path, package, files, version="1.0-1"):
    """A real-format `.deb`: ar archive of debian-binary, control.tar.xz and data.tar.xz."""
    control = f"Package: {package}\nVersion: {version}\nArchitecture: all\n".encode()
    members = [("debian-binary", b"2.0\n"), ("control.tar.xz", _tar_xz({"control": control})),
               ("data.tar.xz", _tar_xz(dict(files, **{f"usr/share/doc/{package}/copyright": COPYRIGHT.encode()})))]
    with open(path, "wb") as f:
        f.write(debs.AR_MAGIC)
        for name, data in members:
            f.write(f"{name + '/':<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n".encode())
            f.write(data + (b"\n" if len(data) % 2 else b""))
