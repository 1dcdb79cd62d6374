"""The cross-source probe suite on fake `.deb` files (nothing downloads): the wall between the
pretraining and probe packages (refused both ways, and pretraining refuses probe shards), labels from
paths, the stratified split by recording, classes and tasks too small to score left out by name, and
bad packages and files reported and skipped."""

import json
import os
import subprocess
import sys

import pytest

from fake_debs import MEGAGLEST_UNIT as UNITS, SUPERTUX_TRACK as SUPERTUX, write_cross_source_debs
from zoo.data.corpora import cross_source, open_audio, sides
from zoo.errors import ConfigError



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
    labels = cross_source.labels_of
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


def _rows(label_counts, task="xs_t"):
    return [{"package": "p", "path": f"{label}/{i}.ogg", "file": f"audio/p/{label}/{i}.ogg", "duration_s": 1.0,
             "labels": {task: label}} for label, n in label_counts.items() for i in range(n)]


def test_split_is_by_recording_stratified_and_small_classes_are_left_out():
    tasks, left_out, splits = cross_source.plan_tasks(_rows({"a": 5, "b": 3, "c": 2}))
    by_class = {}
    for row, label, split in tasks["xs_t"]:
        by_class.setdefault(label, []).append(split)
    assert sorted(by_class["a"]) == ["test", "test", "train", "train", "train"]      # round(0.4 * 5) = 2 test
    assert sorted(by_class["b"]) == ["test", "train", "train"]
    assert "c" not in by_class                                                       # 1 train / 1 test
    assert left_out == [("xs_t", "c", "1 train / 1 test recordings; needs 2 / 1")]
    assert len(splits["xs_t"]) == 10 and set(splits["xs_t"].values()) == {"train", "test"}
    # the same files always land on the same side
    assert cross_source.plan_tasks(_rows({"a": 5, "b": 3, "c": 2}))[2] == splits


def test_a_task_with_one_scorable_class_is_left_out_whole():
    tasks, left_out, _ = cross_source.plan_tasks(_rows({"a": 4, "b": 1}))
    assert tasks == {}
    assert left_out == [("xs_t", "b", "0 train / 1 test recordings; needs 2 / 1"),
                        ("xs_t", None, "1 class(es) with enough recordings; a task needs 2")]


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
                                             log=messages.append,
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
    assert "megaglest-data,3.13.0-3,CC-BY-SA-3.0; GPL-2+," in provenance
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
    assert stats["missing"] == ["xs_wesnoth_source", "xs_lincity_source", "xs_naev_music_mood"]
    # each unit and each world is a tone of its own frequency: pooled log-mel statistics separate them
    assert stats["tasks"]["xs_megaglest_voice"] == 1.0 and stats["tasks"]["xs_supertux_music_world"] == 1.0
