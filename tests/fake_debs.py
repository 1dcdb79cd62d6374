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


MEGAGLEST_UNIT = "usr/share/games/megaglest/techs/megapack/factions/{}/units/{}/sounds/{}"
SUPERTUX_TRACK = "usr/share/games/supertux2/music/{}/{}.ogg"


def write_cross_source_debs(folder):
    """Fake megaglest-data (3 units x 2 ack + 2 select + 3 die lines, a tone per unit, and one broken
    file) and supertux-data (2 worlds x 3 tracks of 13 s) in `folder`; returns their package names."""
    megaglest = {}
    for u, unit in enumerate(("mummy", "spearman", "chicken")):
        for kind in ("ack", "select", "die"):
            for i in range(2 if kind != "die" else 3):
                megaglest[MEGAGLEST_UNIT.format("egypt", unit, f"{unit}_{kind}{i + 1}.wav")] = ogg_bytes(
                    0.4, freq=200 + 150 * u + (60 if kind == "die" else 0))
    megaglest[MEGAGLEST_UNIT.format("egypt", "mummy", "mummy_ack9.wav")] = b"RIFF not really a wave"
    write_deb(folder / "megaglest-data_3.13.0-3_all.deb", "megaglest-data", megaglest, "3.13.0-3")
    supertux = {SUPERTUX_TRACK.format(world, f"track{i}"): ogg_bytes(13.0, rate=16000, freq=300 + 200 * w)
                for w, world in enumerate(("forest", "antarctic")) for i in range(3)}
    write_deb(folder / "supertux-data_0.6.3-2_all.deb", "supertux-data", supertux, "0.6.3-2")
    return ("megaglest-data", "supertux-data")


KTUBERLING_WORD = "usr/share/ktuberling/sounds/{}/{}"
DRUMKIT_SAMPLE = "usr/share/hydrogen/data/drumkits/{}/{}"


def write_language_and_drum_debs(folder):
    """Fake ktuberling-data (8 words in each of 3 languages, a tone per language; Serbian's `sr@latin` folder a
    byte-identical copy of `sr`) and hydrogen-drumkits (3 kits, each with 3 velocity layers of one kick,
    2 of a snare, 3 hi-hats and one sample whose name says no family) in `folder`; returns their
    package names."""
    words = {}
    for l, language in enumerate(("en", "ca", "sr")):
        for w in range(8):
            words[KTUBERLING_WORD.format(language, f"word{w}.ogg")] = ogg_bytes(0.3 + 0.05 * w, freq=300 + 200 * l)
    for w in range(8):
        words[KTUBERLING_WORD.format("sr@latin", f"word{w}.ogg")] = words[KTUBERLING_WORD.format("sr", f"word{w}.ogg")]
    write_deb(folder / "ktuberling-data_22.12.3-1_all.deb", "ktuberling-data", words, "4:22.12.3-1")
    kits = {}
    for k, kit in enumerate(("RockKit", "Millo", "Vintage")):
        for layer in ("Hard", "Med", "Soft"):
            kits[DRUMKIT_SAMPLE.format(kit, f"Kick-{layer}.wav")] = ogg_bytes(0.2, freq=60 + 10 * k + len(layer))
        for layer in range(2):
            kits[DRUMKIT_SAMPLE.format(kit, f"sd_0{layer + 1}.flac")] = ogg_bytes(0.2, freq=200 + 10 * k + layer)
        for name in ("HiHatClosed", "HiHatOpen", "hh_pedal"):
            kits[DRUMKIT_SAMPLE.format(kit, f"{name}.wav")] = ogg_bytes(0.2, freq=900 + 10 * k + len(name))
        kits[DRUMKIT_SAMPLE.format(kit, "beats_06-38.flac")] = ogg_bytes(0.2, freq=500 + k)
    write_deb(folder / "hydrogen-drumkits_2017.09.19-1_all.deb", "hydrogen-drumkits", kits, "2017.09.19~dfsg-1")
    return ("ktuberling-data", "hydrogen-drumkits")
