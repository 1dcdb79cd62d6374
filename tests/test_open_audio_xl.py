"""The open-audio-xl pool on fake `.deb` files (nothing downloads): the open-audio pool's files and
every file of the extra packages, never an open-audio probe file; hours by content; the pretraining
side of the wall, and no reserved package; the command that reproduces a run names the corpus."""

import csv
import json

import pytest

from fake_debs import ogg_bytes, write_deb
from test_open_audio import names_in
from zoo.data.corpora import cross_source, open_audio, open_audio_xl, package_audio, sides
from zoo.pretrain.config import reproduce_command

KHANGMAN = "usr/share/khangman/sounds/{}"


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    folder = tmp_path_factory.mktemp("debs")
    klettres = {}
    for split in ("probe-train", "probe-test", "pretrain"):
        for path in names_in("klettres-data", "usr/share/klettres/fr/alpha/{}.ogg", split, 2):
            klettres[path] = ogg_bytes(0.5)
    write_deb(folder / "klettres-data_4%3a22.12.3-1_all.deb", "klettres-data", klettres, "4:22.12.3-1")
    khangman = {KHANGMAN.format(f"chalk{i}.ogg"): ogg_bytes(1.5, rate=8000) for i in range(3)}
    khangman[KHANGMAN.format("broken.wav")] = b"RIFF but nothing else"
    write_deb(folder / "khangman_4%3a22.12.3-1_all.deb", "khangman", khangman)
    write_deb(folder / "hyperrogue-music_12.0q-1_all.deb", "hyperrogue-music",
              {"usr/share/hyperrogue/music/crossroads.ogg": ogg_bytes(12.0, rate=16000)})
    out = tmp_path_factory.mktemp("open-audio-xl")
    report = open_audio_xl.build_open_audio_xl(
        str(out), str(folder), download=False, workers=1, progress=False, log=lambda m: None,
        packages=("klettres-data", "khangman", "hyperrogue-music", "kanagram"))
    return out, report


def test_pool_holds_the_open_audio_pool_and_every_extra_file_and_nothing_else(pool):
    out, report = pool
    with open(out / "pretrain.csv", newline="") as f:
        files = {row["path"].split("/", 2)[2] for row in csv.DictReader(f)}
    klettres_pool = {p for p in files if p.startswith("usr/share/klettres/")}
    assert len(klettres_pool) == 2
    assert all(open_audio.split_of("klettres-data", p) == "pretrain" for p in klettres_pool)
    assert {p for p in files if "khangman" in p} == {KHANGMAN.format(f"chalk{i}.ogg") for i in range(3)}
    assert "usr/share/hyperrogue/music/crossroads.ogg" in files
    assert report.missing_packages == ["kanagram"]
    assert [where for where, _ in report.skipped] == [f"khangman:{KHANGMAN.format('broken.wav')}", "kanagram"]
    info = json.loads((out / "shards" / "pretrain" / "dataset_info.json").read_text())
    assert info["splits"]["train"]["clips"] == 2 + 3 + 2       # the 12-s track in two segments
    assert open_audio_xl.pool_folder(str(out)) == str(out / "shards" / "pretrain")


def test_summary_counts_hours_by_content(pool):
    out, report = pool
    saved = json.loads((out / "corpus.json").read_text())
    assert saved["corpus"] == "open-audio-xl"
    assert saved["hours"] == {"speech": 0.0, "music": 0.0, "sounds": 0.0}     # seconds, rounded to 0.01 h
    assert sorted(open_audio_xl.content_of(r["package"], r["path"]) for r in report.rows) == ["music"] + ["sounds"] * 3 + ["speech"] * 2
    text = report.summary()
    assert "khangman" in text and "kanagram                       missing" in text
    assert "music hours: 0.00" in text


def test_every_extra_package_stands_on_the_pretraining_side():
    assert open_audio_xl.EXTRA_NAMES == sides.XL_EXTRA_PACKAGES
    assert open_audio.PACKAGE_NAMES == sides.OPEN_AUDIO_PACKAGES
    assert set(open_audio_xl.PACKAGE_NAMES) == set(sides.PRETRAIN_PACKAGES)
    with pytest.raises(sides.LeakageError, match="pokerth-data is a pretrain-side package"):
        cross_source.build_cross_source("unused", packages=("pokerth-data",))
    with pytest.raises(sides.LeakageError, match="naev-data is a probe-side package"):
        open_audio_xl.build_open_audio_xl("unused", packages=("naev-data",))


def test_content_of_paths():
    assert open_audio_xl.content_of("trigger-rally-data", "usr/share/games/trigger-rally/data.zip:sounds/codriver/left.wav") == "speech"
    assert open_audio_xl.content_of("0ad-data", "usr/share/games/0ad/mods/public/public.zip:audio/voice/hellenes/civ/x.ogg") == "speech"
    assert open_audio_xl.content_of("0ad-data", "usr/share/games/0ad/mods/public/public.zip:audio/music/x.ogg") == "music"
    assert open_audio_xl.content_of("pingus-data", "usr/share/games/pingus/data/sounds/ohno.wav") == "sounds"


def test_the_reproducing_command_names_the_corpus(pool):
    out, _ = pool
    command = reproduce_command({"encoder": "nf_slowfast_tiny", "objective": "simclr",
                                 "shards": str(out / "shards" / "pretrain")})
    assert command.startswith("hares-zoo pretrain --encoder=nf_slowfast_tiny --objective=simclr --corpus=open-audio-xl")


def queen_file(entries, compression=2):
    """A compressed Queen resource file holding `entries` ({name: bytes}), in their order."""
    from zoo.data.corpora import queen_resource as qr
    table, data = b"", b""
    offset = qr.HEADER.size + len(entries) * qr.RECORD.size
    for name, payload in entries.items():
        table += qr.RECORD.pack(name.encode(), 1, offset + len(data), len(payload))
        data += payload
    return qr.HEADER.pack(qr.TAG, b"CEM10\0", b"\0\0", compression, len(entries)) + table + data


def test_queen_resource_entries_are_read_and_bad_files_refused(tmp_path):
    from zoo.data.corpora import queen_resource
    speech = ogg_bytes(0.7, rate=11025)
    path = tmp_path / "queen.1c"
    path.write_bytes(queen_file({"020001P2.SB": speech, "ROOM1.PCX": b"picture", "020006J1.SB": speech[:100]}))
    entries, compression = queen_resource.read_table(str(path))
    assert [name for name, _, _ in entries] == ["020001P2.SB", "ROOM1.PCX", "020006J1.SB"] and compression == "ogg"
    found = {name: open_entry().read() for name, open_entry in
             queen_resource.iter_entries(str(path), lambda n: n.endswith(".SB"))}
    assert found == {"020001P2.SB": speech, "020006J1.SB": speech[:100]}
    (tmp_path / "bad.1c").write_bytes(b"RIFF....")
    with pytest.raises(ValueError, match="no QTBL header"):
        queen_resource.read_table(str(tmp_path / "bad.1c"))
    (tmp_path / "cut.1c").write_bytes(path.read_bytes()[:60])
    with pytest.raises(ValueError, match="cut short: 3 entries announced, 2 present"):
        queen_resource.read_table(str(tmp_path / "cut.1c"))
    (tmp_path / "past.1c").write_bytes(path.read_bytes()[:-50])
    with pytest.raises(ValueError, match="020006J1.SB runs past the end"):
        queen_resource.read_table(str(tmp_path / "past.1c"))


def test_speech_inside_a_queen_resource_reaches_the_pool(tmp_path):
    debs_dir = tmp_path / "debs"
    debs_dir.mkdir()
    lines = {f"0{i}0001P2.SB": ogg_bytes(1.2, rate=11025, freq=200 + 50 * i) for i in range(3)}
    lines["0990001P2.SB"] = b"not audio at all"
    write_deb(debs_dir / "flight-of-the-amazon-queen_1.0.0-9_all.deb", "flight-of-the-amazon-queen",
              {"usr/share/scummvm/flight-of-the-amazon-queen/queen.1c": queen_file(lines)}, "1.0.0-9")
    report = open_audio_xl.build_open_audio_xl(str(tmp_path / "out"), str(debs_dir), download=False, workers=1,
                                               progress=False, log=lambda m: None,
                                               packages=("flight-of-the-amazon-queen",))
    assert sorted(row["path"].rsplit(":", 1)[1] for row in report.rows) == [f"0{i}0001P2.SB" for i in range(3)]
    assert [where.rsplit(":", 1)[1] for where, _ in report.skipped] == ["0990001P2.SB"]
    assert {open_audio_xl.content_of(row["package"], row["path"]) for row in report.rows} == {"speech"}
    assert sum(row["duration_s"] for row in report.rows) == pytest.approx(3.6, abs=0.01)


# Every listed name, and a name under each reserved prefix (a package of that family not listed).
RESERVED = sides.RESERVED_PACKAGES + tuple(prefix + "example" for prefix in sides.RESERVED_PREFIXES)


@pytest.mark.parametrize("package", RESERVED)
def test_reserved_packages_are_refused_by_every_corpus_and_suite(package, tmp_path):
    assert sides.side_of(package) == "reserved"
    for build, corpus in ((open_audio_xl.build_open_audio_xl, "open-audio-xl"),
                          (open_audio.build_open_audio, "open-audio"),
                          (cross_source.build_cross_source, "cross-source")):
        with pytest.raises(sides.ReservedPackageError, match=f"{package} is reserved .* the {corpus} corpus may not"):
            build(str(tmp_path / corpus), packages=(package,))
    with pytest.raises(sides.ReservedPackageError, match=f"{package} is reserved .* obtain_deb may not read it"):
        package_audio.obtain_deb(package, str(tmp_path), download=True)
    assert list(tmp_path.iterdir()) == []          # nothing fetched, nothing written


def test_the_reserved_list_is_the_one_the_evaluation_gave():
    """Pinned by its digest, so that the names stay in sides.py alone: 8 packages and 3 name prefixes."""
    import hashlib
    names = sorted(sides.RESERVED_PACKAGES + sides.RESERVED_PREFIXES)
    assert (len(sides.RESERVED_PACKAGES), len(sides.RESERVED_PREFIXES)) == (8, 3)
    assert hashlib.sha256("\n".join(names).encode()).hexdigest() == \
        "db5f92f597df5fef885aa1499a16212986cb297efdf8b5127a7c4775506e23d2"


def test_no_corpus_lists_a_reserved_package():
    listed = set(sides.PRETRAIN_PACKAGES) | set(sides.PROBE_PACKAGES) | set(open_audio_xl.PACKAGE_NAMES) \
        | set(cross_source.PACKAGE_NAMES) | set(open_audio.PACKAGE_NAMES)
    assert sorted(p for p in listed if sides.is_reserved(p)) == []
    reserved = sides.RESERVED_PACKAGES[0]
    with pytest.raises(sides.LeakageError, match=f"{reserved} are reserved"):
        sides.check_disjoint({"pretrain": ("0ad-data", reserved), "probe": ("naev-data",), "reserved": ()})
    with pytest.raises(sides.LeakageError, match="naev-data listed for both probe and reserved"):
        sides.check_disjoint({"pretrain": (), "probe": ("naev-data",), "reserved": ("naev-data",)})
