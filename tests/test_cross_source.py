"""The cross-source probe suite on fake `.deb` files (nothing downloads): the wall between the
pretraining and probe packages (refused both ways, and pretraining refuses probe shards), labels from
paths, the stratified split by recording, classes and tasks too small to score left out by name, and
bad packages and files reported and skipped."""

import json
import os
import subprocess
import sys

import pytest

from fake_debs import (DRUMKIT_SAMPLE, KTUBERLING_WORD, MEGAGLEST_UNIT as UNITS, SUPERTUX_TRACK as SUPERTUX,
                       write_cross_source_debs, write_language_and_drum_debs)
from zoo.data.corpora import cross_source, cross_source_labels, open_audio, sides
from zoo.errors import ConfigError
from zoo.hares.tasks import list_tasks



def test_each_package_stands_on_one_side():
    assert open_audio.PACKAGE_NAMES == sides.OPEN_AUDIO_PACKAGES
    assert cross_source.PACKAGE_NAMES == sides.PROBE_PACKAGES
    assert not set(sides.PRETRAIN_PACKAGES) & set(sides.PROBE_PACKAGES)
    with pytest.raises(sides.LeakageError, match="klettres-data listed for both"):
        sides.check_disjoint({"pretrain": ("0ad-data", "klettres-data"), "probe": ("klettres-data",)})
    assert sides.side_of("megaglest-data") == "probe" and sides.side_of("0ad-data") == "pretrain"
    assert sides.side_of("some-other-data") is None


def test_builders_refuse_the_other_sides_packages(tmp_path):
    with pytest.raises(sides.LeakageError, match="megaglest-data is a probe-side package: the open-audio corpus"):
        open_audio.build_open_audio(str(tmp_path / "oa"), str(tmp_path), download=False, packages=["megaglest-data"])
    with pytest.raises(sides.LeakageError, match="klettres-data is a pretrain-side package: the cross-source"):
        cross_source.build_cross_source(str(tmp_path / "xs"), str(tmp_path), download=False,
                                        packages=["klettres-data"])
    with pytest.raises(ConfigError, match="unknown cross-source package"):
        cross_source.build_cross_source(str(tmp_path / "xs"), str(tmp_path), download=False, packages=["nope-data"])
    assert not os.path.exists(tmp_path / "xs")        # refused before anything is written


def test_labels_come_from_paths():
    labels = cross_source_labels.labels_of
    assert labels("megaglest-data", UNITS.format("egypt", "mummy", "mummy_ack3.wav")) == {
        "xs_megaglest_call": "ack", "xs_megaglest_voice": "egypt/mummy"}
    assert labels("megaglest-data", UNITS.format("egypt", "mummy", "mummy_die2.wav")) == {"xs_megaglest_call": "die"}
    assert labels("megaglest-data", UNITS.format("egypt", "mummy", "mummy_walk1.wav")) == {}
    assert labels("wesnoth-1.16-data", "usr/share/games/wesnoth/1.16/data/core/sounds/human-old-die-2.ogg") == {
        "xs_wesnoth_source": "human"}
    assert labels("lincity-ng-data", "usr/share/games/lincity-ng/sounds/CoalMine3.wav") == {
        "xs_lincity_source": "CoalMine"}
    assert labels("supertux-data", SUPERTUX.format("forest", "forest2")) == {"xs_supertux_music_world": "forest"}
    assert labels("naev-data", "usr/share/games/naev/dat/snd/music/combat2.ogg") == {"xs_naev_music_mood": "battle"}
    assert labels("naev-data", "usr/share/games/naev/dat/snd/music/peace4.ogg") == {"xs_naev_music_mood": "calm"}
    assert labels("naev-data", "usr/share/games/naev/dat/snd/music/intro.ogg") == {}
    assert labels("ktuberling-data", KTUBERLING_WORD.format("sr@ijekavianlatin", "oko.ogg")) == {
        "xs_ktuberling_language": "sr"}
    assert labels("ktuberling-data", KTUBERLING_WORD.format("nn", "ball.opus")) == {"xs_ktuberling_language": "nn"}
    assert labels("hydrogen-drumkits", DRUMKIT_SAMPLE.format("The Black Pearl 1.0", "PearlSideStick-Med.wav")) == {
        "xs_drum_family": "snare"}
    assert labels("lmms-common", "usr/share/lmms/samples/drums/zap01.ogg") == {}
    ufo = "usr/share/games/ufoai/base/0snd.pk3:sound/{}"
    assert labels("ufoai-sound", ufo.format("aliens/ortnok/hurt3.ogg")) == {
        "xs_ufoai_category": "aliens", "xs_sound_event": "scream or cry"}
    assert labels("ufoai-sound", ufo.format("footsteps/gravel2.ogg")) == {
        "xs_ufoai_category": "footsteps", "xs_sound_event": "footstep"}
    assert labels("ufoai-sound", ufo.format("geoscape/mail.ogg")) == {"xs_ufoai_category": "geoscape"}
    tone = "usr/share/midi/freepats/Tone_000/000_Acoustic_Grand_Piano.pat:{}"
    assert labels("freepats", tone.format("s03_261.626Hz.wav")) == {"xs_freepats_octave": "octave 4",
                                                                     "xs_freepats_pitch_class": "C"}
    assert labels("freepats", tone.format("s01_55.000Hz.wav")) == {"xs_freepats_octave": "octave 1",
                                                                    "xs_freepats_pitch_class": "A"}
    assert labels("freepats", "usr/share/midi/freepats/Drum_000/054_Tombourine.pat:s00_440.000Hz.wav") == {
        "xs_drum_family": "hand percussion"}
    # a supertux track scores a world; its sound effects say what happens
    assert labels("supertux-data", "usr/share/games/supertux2/sounds/explosion.wav") == {"xs_sound_event": "explosion"}
    assert labels("naev-data", "usr/share/naev/dat/snd/sounds/afterburner.ogg") == {"xs_sound_event": "engine"}


@pytest.mark.parametrize("path, event", [
    ("sound/weapons/laser-blast.ogg", "laser or plasma"), ("sound/weapons/explosion-plasma.ogg", "explosion"),
    ("soundfx/steps/step_leather3.ogg", "footstep"), ("sound/doors/door2-open.ogg", "door"),
    ("sound/misc/breakglass04.ogg", "glass or breaking"), ("sound/weapons/bullet-rifle-3x.ogg", "gunfire"),
    ("sound/impact/bullet-impact.ogg", None), ("sounds/windmill1.wav", None), ("sounds/thunder.wav", "weather"),
    ("sound/ambience/water02.ogg", "water"), ("sound/ambience/fire03.ogg", "fire"), ("soundfx/enemies/zombie_die.ogg",
    "scream or cry"), ("sounds/coin2.wav", "coin or pickup"), ("sound/ui/click3.ogg", "click or beep"),
    ("snd/sounds/potion.ogg", None), ("snd/sounds/ion.ogg", "laser or plasma")])
def test_sound_event_from_the_path(path, event):
    assert cross_source_labels.sound_event(path) == event


@pytest.mark.parametrize("stem, family", [
    ("PearlKick-Hard", "kick"), ("bassdrum_acoustic01", "kick"), ("bd_04", "kick"), ("sd_03", "snare"),
    ("snare-opaque-normal-mic-rimshot6", "snare"), ("ho_02", "hihat"), ("SabianHatChoke-Med", "hihat"),
    ("hh_02", "hihat"), ("CrashRide18Bell-1", "cymbal"), ("crash16i__ride_cup4", "cymbal"), ("tom-low-1", "tom"),
    ("AgogoHigh-0", "hand percussion"), ("HandClap", "hand percussion"), ("beats_06-38", None), ("zap01", None)])
def test_drum_family_from_the_file_name(stem, family):
    assert cross_source_labels.drum_family(stem) == family


def test_velocity_layers_of_one_drum_are_one_recording():
    key = cross_source_labels.recording_key
    kit = "usr/share/hydrogen/data/drumkits/{}/{}"
    assert key("hydrogen-drumkits", kit.format("Pearl", "PearlKick-Hard.wav")) == key(
        "hydrogen-drumkits", kit.format("Pearl", "PearlKick-Softest.wav")) == "hydrogen-drumkits:" + kit.format(
        "Pearl", "pearlkick")
    assert key("hydrogen-drumkits", kit.format("Forzee", "Kick-0.wav")) == key("hydrogen-drumkits",
                                                                              kit.format("Forzee", "Kick-4.wav"))
    assert key("hydrogen-drumkits", kit.format("Forzee", "Kick-0.wav")) != key("hydrogen-drumkits",
                                                                              kit.format("Pearl", "Kick-0.wav"))
    assert key("hydrogen-drumkits", kit.format("Forzee", "HiHatOpen-1.wav")) != key(
        "hydrogen-drumkits", kit.format("Forzee", "HiHatClosed-1.wav"))
    # files of other packages are each their own recording
    assert key("megaglest-data", "a/b_ack1.wav") != key("megaglest-data", "a/b_ack2.wav")


def test_copies_and_drum_layers_are_left_out_and_each_drum_is_one_recording(tmp_path):
    write_language_and_drum_debs(tmp_path)
    messages = []
    report = cross_source.build_cross_source(str(tmp_path / "xs"), str(tmp_path), download=False, workers=1,
                                             progress=False, log=messages.append, min_test_recordings=1,
                                             packages=("ktuberling-data", "hydrogen-drumkits"))
    # sr@latin's 8 copies; per kit 2 more kick layers and 1 more snare layer: 8 + 3 * 3 = 17 repeats
    assert "17 files left out as repeats: byte-identical copies, or other velocity layers of a drum" in messages
    kept = sorted(row["path"].split("/sounds/")[-1] for row in report.rows if row["package"] == "ktuberling-data")
    assert kept == [f"{language}/word{w}.ogg" for language in ("ca", "en", "sr") for w in range(8)]
    drums = sorted(row["path"].split("/drumkits/")[-1] for row in report.rows if row["package"] == "hydrogen-drumkits")
    assert drums == [f"{kit}/{name}" for kit in ("Millo", "RockKit", "Vintage") for name in (
        "HiHatClosed.wav", "HiHatOpen.wav", "Kick-Hard.wav", "hh_pedal.wav", "sd_01.flac")]
    info = json.load(open(os.path.join(report.folders["xs_drum_family"], "dataset_info.json")))
    assert info["labels"] == ["hihat", "kick", "snare"]
    # one kick and one snare per kit: 2 train / 1 test each; 9 hi-hats: 5 train / 4 test
    assert {k: v["clips"] for k, v in info["splits"].items()} == {"test": 6, "train": 9}
    language = json.load(open(os.path.join(report.folders["xs_ktuberling_language"], "dataset_info.json")))
    assert language["labels"] == ["ca", "en", "sr"]
    assert {k: v["clips"] for k, v in language["splits"].items()} == {"test": 9, "train": 15}   # 3 / 5 a language


def _rows(label_counts, task="xs_t"):
    return [{"package": "p", "path": f"{label}/{i}.ogg", "file": f"audio/p/{label}/{i}.ogg", "duration_s": 1.0,
             "labels": {task: label}} for label, n in label_counts.items() for i in range(n)]


def test_split_is_by_recording_stratified_and_small_classes_are_left_out():
    tasks, left_out, splits = cross_source.plan_tasks(_rows({"a": 5, "b": 3, "c": 2}), 1)
    by_class = {}
    for row, label, split in tasks["xs_t"]:
        by_class.setdefault(label, []).append(split)
    assert sorted(by_class["a"]) == ["test", "test", "train", "train", "train"]      # round(0.4 * 5) = 2 test
    assert sorted(by_class["b"]) == ["test", "train", "train"]
    assert "c" not in by_class                                                       # 1 train / 1 test
    assert left_out == [("xs_t", "c", "1 train / 1 test recordings; needs 2 / 1")]
    assert len(splits["xs_t"]) == 10 and set(splits["xs_t"].values()) == {"train", "test"}
    # the same files always land on the same side
    assert cross_source.plan_tasks(_rows({"a": 5, "b": 3, "c": 2}), 1)[2] == splits


def test_a_task_with_one_scorable_class_is_left_out_whole():
    tasks, left_out, _ = cross_source.plan_tasks(_rows({"a": 4, "b": 1}), 1)
    assert tasks == {}
    assert left_out == [("xs_t", "b", "0 train / 1 test recordings; needs 2 / 1"),
                        ("xs_t", None, "1 class(es) with enough recordings; a task needs 2")]


def test_a_task_with_too_few_test_recordings_for_a_verdict_is_left_out_whole():
    assert cross_source.MIN_TEST_RECORDINGS == 100
    tasks, left_out, _ = cross_source.plan_tasks(_rows({"a": 125, "b": 125}))     # 50 + 50 test recordings
    assert sorted(tasks) == ["xs_t"] and left_out == []
    tasks, left_out, _ = cross_source.plan_tasks(_rows({"a": 120, "b": 120}))     # 48 + 48
    assert tasks == {} and left_out == [("xs_t", None, "96 test recordings; a task needs 100 for a verdict")]


def test_clip_windows():
    assert cross_source.clip_windows(2.5, music=False) == [(0.0, 2.5)]
    assert cross_source.clip_windows(10.0, music=False) == [(2.0, 8.0)]
    assert cross_source.clip_windows(20.0, music=True) == [(0.0, 6.0), (7.0, 13.0), (14.0, 20.0)]
    assert len(cross_source.clip_windows(300.0, music=True)) == cross_source.MUSIC_CLIPS_PER_TRACK


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    folder = tmp_path_factory.mktemp("debs")
    write_cross_source_debs(folder)
    (folder / "naev-data_0.8.2-1_all.deb").write_bytes(b"this is not an ar archive")
    out = tmp_path_factory.mktemp("cache") / "cross-source"    # where the probe CLI looks, under HARES_ZOO_CACHE
    messages = []
    report = cross_source.build_cross_source(str(out), str(folder), download=False, workers=1, progress=False,
                                             log=messages.append, min_test_recordings=1,
                                             packages=("megaglest-data", "supertux-data", "naev-data"))
    return out, report, messages


def test_suite_builds_tasks_and_reports_what_it_skipped(suite):
    out, report, messages = suite
    assert report.missing_packages == ["naev-data"]
    skipped = dict(report.skipped)
    assert "not a Debian package" in skipped["naev-data"]
    assert any(where.endswith("mummy_ack9.wav") and "cannot decode" in problem for where, problem in skipped.items())
    assert sorted(report.folders) == ["xs_megaglest_call", "xs_megaglest_voice", "xs_supertux_music_world"]
    info = json.load(open(os.path.join(report.folders["xs_megaglest_voice"], "dataset_info.json")))
    assert info["labels"] == ["egypt/chicken", "egypt/mummy", "egypt/spearman"]
    # 4 spoken lines per unit (ack + select; die is a cry): 2 test, 2 train per unit
    assert {k: v["clips"] for k, v in info["splits"].items()} == {"test": 6, "train": 6}
    assert info["source"] == {"corpus": "cross-source", "side": "probe", "packages": ["megaglest-data"]}
    call = json.load(open(os.path.join(report.folders["xs_megaglest_call"], "dataset_info.json")))
    assert call["labels"] == ["ack", "die", "select"]
    music = json.load(open(os.path.join(report.folders["xs_supertux_music_world"], "dataset_info.json")))
    # 3 tracks per world, 1 test + 2 train, 2 windows of 6 s from each 13-s track
    assert {k: v["clips"] for k, v in music["splits"].items()} == {"test": 4, "train": 8}
    provenance = open(out / "provenance.csv").read()
    assert "megaglest-data,3.13.0-3,CC-BY-SA-3.0," in provenance
    found, left_out = cross_source.shard_folders(str(out))
    assert sorted(found) == sorted(report.folders) and left_out == []
    assert "skipped package naev-data: not a Debian package (no ar archive header)" in messages


def test_pretraining_refuses_probe_shards(suite, tmp_path):
    from zoo.pretrain import PretrainConfig, pretrain
    _, report, _ = suite
    config = PretrainConfig(encoder="sincnet", objective="simclr", shards=report.folders["xs_megaglest_call"], model_dir=str(tmp_path),
                            steps=1)
    with pytest.raises(ConfigError, match="holds shards of a probe task .cross-source corpus, packages "
                                          "megaglest-data.; pretraining on them would leak"):
        pretrain(config)


def test_probe_cli_scores_the_suite_and_names_what_is_left_out(suite, tmp_path):
    out, _, _ = suite
    env = dict(os.environ, HARES_ZOO_CACHE=str(out.parent))
    result = subprocess.run([sys.executable, "-m", "zoo.cli.main", "probe", "--tasks=cross-source",
                             "--model=logmel_stats,twin:sincnet", "--probe_solver=lbfgs", f"--out={tmp_path}"],
                            capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "left out xs_naev_music_mood: not built" in result.stdout
    assert "left out xs_wesnoth_source: not built" in result.stdout
    scores = json.load(open(tmp_path / "scores.json"))
    assert sorted(scores) == ["logmel_stats", "twin:sincnet"]
    stats = scores["logmel_stats"]
    assert sorted(stats["tasks"]) == ["xs_megaglest_call", "xs_megaglest_voice", "xs_supertux_music_world"]
    built = ("xs_megaglest_call", "xs_megaglest_voice", "xs_supertux_music_world")
    assert stats["missing"] == [name for name in list_tasks("cross-source") if name not in built]
    assert len(stats["missing"]) == 10
    # each unit and each world is a tone of its own frequency: pooled log-mel statistics separate them
    assert stats["tasks"]["xs_megaglest_voice"] == 1.0 and stats["tasks"]["xs_supertux_music_world"] == 1.0


def test_a_changed_file_pattern_extracts_the_package_again(tmp_path):
    from zoo.data.corpora.package_audio import PackageSpec, extract_package
    write_language_and_drum_debs(tmp_path)
    deb = str(tmp_path / "ktuberling-data_22.12.3-1_all.deb")
    audio = tmp_path / "out" / "audio"
    english = PackageSpec("ktuberling-data", r"/sounds/en/[^/]+\.ogg$")
    rows, _ = extract_package(deb, english, str(audio), log=lambda m: None)
    marker = audio / "ktuberling-data" / "extracted.json"
    before = marker.stat().st_mtime_ns
    assert len(rows) == 8
    rows, _ = extract_package(deb, english, str(audio), log=lambda m: None)     # the marker: not read again
    assert len(rows) == 8 and marker.stat().st_mtime_ns == before
    both = PackageSpec("ktuberling-data", r"/sounds/(en|ca)/[^/]+\.ogg$")
    rows, _ = extract_package(deb, both, str(audio), log=lambda m: None)
    assert sorted({row["path"].split("/")[-2] for row in rows}) == ["ca", "en"] and len(rows) == 16
    assert marker.stat().st_mtime_ns != before


def test_a_rebuild_removes_the_shards_of_tasks_it_left_out(tmp_path):
    write_language_and_drum_debs(tmp_path)
    out = tmp_path / "xs"
    build = dict(debs_dir=str(tmp_path), download=False, workers=1, progress=False,
                 packages=("ktuberling-data", "hydrogen-drumkits"))
    cross_source.build_cross_source(str(out), log=lambda m: None, min_test_recordings=1, **build)
    assert sorted(os.listdir(out / "shards")) == ["xs_drum_family", "xs_ktuberling_language"]
    messages = []
    report = cross_source.build_cross_source(str(out), log=messages.append, min_test_recordings=7, **build)
    assert sorted(report.folders) == ["xs_ktuberling_language"]          # 6 drum test recordings < 7
    assert os.listdir(out / "shards") == ["xs_ktuberling_language"]
    assert "removed the shards of xs_drum_family, which this build left out" in messages
    assert cross_source.shard_folders(str(out))[0] == {"xs_ktuberling_language": report.folders["xs_ktuberling_language"]}
