"""The OpenClonk group reader (`openclonk-data`'s `Sound.ocg`) on group files written here byte by
byte: the header scramble, packed and unpacked files, nested groups, every refusal by name, and the
package read from a fake `.deb` into labelled cross-source rows."""

import gzip
import struct

import pytest

from fake_debs import ogg_bytes, write_deb
from zoo.data.corpora import c4group, cross_source


def group_bytes(entries):
    """A plain group: `entries` {name: bytes, or a dict for a nested group}, laid out as the format says."""
    header = c4group.ID.ljust(28, b"\0") + struct.pack("<3i", 1, 2, len(entries))
    header = c4group.scramble(header.ljust(c4group.HEADER_SIZE, b"\0"))
    table, data = b"", b""
    for name, content in entries.items():
        child = isinstance(content, dict)
        payload = group_bytes(content) if child else content
        record = struct.pack("<260s5i", name.encode(), 0, int(child), len(payload), 0, len(data))
        table += record.ljust(c4group.RECORD_SIZE, b"\0")
        data += payload
    return header + table + data


def packed(plain):
    """The group as the package ships it: gzip with its magic changed to 1E 8C."""
    return c4group.MAGIC + gzip.compress(plain)[2:]


SOUNDS = {"Animals.ocg": {"Bat.ocg": {"Chirp.wav": b"bat chirp", "Flutter1.ogg": b"flutter"}, "Wolf.ogg": b"howl"},
          "Fire.ocg": {"Inflame.ogg": b"whoosh"}, "Version.txt": b"8.1"}


def test_the_scramble_is_undone_on_a_triplet_computed_by_hand():
    # plain 01 02 03 -> XOR 0xED: EC EF EE -> first and third swapped: EE EF EC
    assert c4group.scramble(b"\x01\x02\x03") == b"\xee\xef\xec"
    assert c4group.unscramble(b"\xee\xef\xec") == b"\x01\x02\x03"
    assert c4group.unscramble(b"\xee\xef\xec\xed") == b"\x01\x02\x03\x00"     # a last partial triplet: XOR only


@pytest.mark.parametrize("pack", [packed, lambda plain: plain], ids=["packed", "unpacked"])
def test_nested_groups_are_walked_and_entries_read(tmp_path, pack):
    path = tmp_path / "Sound.ocg"
    path.write_bytes(pack(group_bytes(SOUNDS)))
    found = {name: open_entry().read() for name, open_entry in
             c4group.iter_entries(str(path), lambda n: n.endswith((".wav", ".ogg")))}
    assert found == {"Animals.ocg/Bat.ocg/Chirp.wav": b"bat chirp", "Animals.ocg/Bat.ocg/Flutter1.ogg": b"flutter",
                     "Animals.ocg/Wolf.ogg": b"howl", "Fire.ocg/Inflame.ogg": b"whoosh"}


def test_bad_group_files_are_refused_by_name(tmp_path):
    plain = group_bytes(SOUNDS)
    cases = {"notgroup": (b"RIFF....WAVE", "not an OpenClonk group file"),
             "corrupt": (c4group.MAGIC + b"\x08\x00" + b"\x00" * 40, "corrupt OpenClonk group file"),
             "cut": (plain[:c4group.HEADER_SIZE + c4group.RECORD_SIZE], r"group \(top\): table cut short \(3 entries "
                                                                          r"announced, the data ends after 1\)"),
             "past": (plain[:-2], r"group \(top\): entry Version.txt runs past the end of the file")}
    for name, (content, message) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ValueError, match=message):
            list(c4group.iter_entries(str(tmp_path / name), lambda n: True))


def test_the_package_becomes_rows_labelled_by_their_top_level_group(tmp_path):
    sounds = {group: {f"{group[:-4]}{i}.ogg": ogg_bytes(0.4, freq=200 + 80 * g + 10 * i) for i in range(3)}
              for g, group in enumerate(("Animals.ocg", "Clonk.ocg", "UI.ocg"))}
    sounds["Clonk.ocg"]["Skin.ocg"] = {"Grunt.ogg": ogg_bytes(0.4, freq=700)}
    write_deb(tmp_path / "openclonk-data_8.1-3_all.deb", "openclonk-data",
              {"usr/share/games/openclonk/Sound.ocg": packed(group_bytes(sounds)),
               "usr/share/games/openclonk/Music.ocg": packed(group_bytes({"Title.ogg": ogg_bytes(0.4)}))}, "8.1-3")
    report = cross_source.build_cross_source(str(tmp_path / "xs"), str(tmp_path), download=False, workers=1,
                                             progress=False, log=lambda m: None, min_test_recordings=1,
                                             packages=("openclonk-data",))
    labels = sorted((row["path"].split(":", 1)[1], row["labels"]["xs_openclonk_category"]) for row in report.rows)
    assert labels == ([(f"Animals.ocg/Animals{i}.ogg", "animals") for i in range(3)]
                      + [(f"Clonk.ocg/Clonk{i}.ogg", "clonk") for i in range(3)] + [("Clonk.ocg/Skin.ocg/Grunt.ogg", "clonk")]
                      + [(f"UI.ocg/UI{i}.ogg", "ui") for i in range(3)])
    assert all(row["path"].startswith("usr/share/games/openclonk/Sound.ocg:") for row in report.rows)
    assert list(report.folders) == ["xs_openclonk_category"]
