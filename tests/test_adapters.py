"""Every HARES data-set adapter on a tiny fixture in the data set's real on-disk layout, written here."""

import csv
import json
import os

import numpy as np
import pytest

from zoo.data.audio_io import write_wav
from zoo.data.prepare import read_dataset_info
from zoo.hares.adapters import MissingDataError, adapted_tasks, choose_format, prepare_task
from zoo.hares.tasks import list_tasks

RATE = 16000


def _wav(path, seconds=0.25, seed=0, rate=RATE):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_wav(path, 0.1 * np.random.default_rng(seed).standard_normal(int(seconds * rate)), rate)


def _mp3(path, seconds=0.5, seed=0):
    """A real MP3 file (MagnaTagATune ships MP3s)."""
    import soundfile
    os.makedirs(os.path.dirname(path), exist_ok=True)
    audio = 0.1 * np.random.default_rng(seed).standard_normal(int(seconds * RATE))
    soundfile.write(path, audio, RATE, format="MP3", subtype="MPEG_LAYER_III")


def _prepare(task, source, tmp_path, **kwargs):
    report = prepare_task(task, source, tmp_path / "hares", workers=1, progress=False, log=lambda *_: None, **kwargs)
    return report, read_dataset_info(tmp_path / "hares" / task)


def _splits(info):
    return {split: entry["clips"] for split, entry in info["splits"].items()}


def test_every_paper_task_has_an_adapter():
    assert sorted(adapted_tasks()) == sorted(list_tasks("hares"))


def test_esc50_folds_and_target_order(tmp_path):
    src = tmp_path / "ESC-50-master"
    os.makedirs(src / "meta")
    with open(src / "meta" / "esc50.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["filename", "fold", "target", "category", "esc10", "src_file", "take"])
        for k in range(10):
            name = f"{k % 5 + 1}-{100 + k}-A-{k % 2}.wav"
            w.writerow([name, k % 5 + 1, k % 2, ["dog", "rooster"][k % 2], "True", 100 + k, "A"])
            _wav(str(src / "audio" / name), seed=k)
    report, info = _prepare("esc50", src, tmp_path)
    assert report.written == 10 and not report.skipped
    assert info["labels"] == ["dog", "rooster"]           # target order, not alphabetical by chance
    assert _splits(info) == {f"fold{k}": 2 for k in range(1, 6)}


def test_esc50_missing_names_the_place_and_layout(tmp_path):
    with pytest.raises(MissingDataError, match=r"(?s)does not exist.*looked in .*nowhere.*Expected layout.*meta/esc50.csv"):
        prepare_task("esc50", tmp_path / "nowhere", tmp_path / "out", progress=False, log=lambda *_: None)


def test_fluent_speech_commands_intents_as_three_slots(tmp_path):
    src = tmp_path / "fluent_speech_commands_dataset"
    os.makedirs(src / "data")
    intents = [("activate", "lights", "kitchen"), ("decrease", "volume", "none"), ("activate", "music", "none")]
    for split, n in (("train", 3), ("valid", 1), ("test", 2)):
        with open(src / "data" / f"{split}_data.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["", "path", "speakerId", "transcription", "action", "object", "location"])
            for k in range(n):
                rel = f"wavs/speakers/spk{k}/{split}{k}.wav"
                w.writerow([k, rel, f"spk{k}", "turn it on", *intents[k % 3]])
                _wav(str(src / rel), seed=k)
    report, info = _prepare("fluent_speech_commands", src, tmp_path)
    assert report.written == 6
    assert info["labels"] == sorted("|".join(i) for i in intents)
    assert _splits(info) == {"train": 3, "valid": 1, "test": 2}


def test_magnatagatune_musicnn_split_and_tag_matching(tmp_path):
    src = tmp_path / "mtt"
    tags = ["guitar", "classical", "slow", "techno"]
    clips = {"2": ("f/a-1-30-59.mp3", [1, 1, 0, 0]), "6": ("0/b-2-0-29.mp3", [0, 0, 1, 1]),
             "9": ("c/c-3-0-29.mp3", [1, 0, 1, 0]), "11": ("d/d-4-0-29.mp3", [0, 1, 0, 1])}
    os.makedirs(src)
    with open(src / "annotations_final.csv", "w") as f:
        f.write("\t".join(f'"{h}"' for h in ["clip_id"] + tags + ["mp3_path"]) + "\n")
        for cid, (path, values) in clips.items():
            f.write("\t".join(f'"{v}"' for v in [cid] + values + [path]) + "\n")
            _mp3(str(src / "mp3" / path), seed=int(cid))
    # musicnn ground truth lists only two of the tags, in its own order: techno then guitar.
    for name, ids in (("train_gt_mtt.tsv", ["6", "2"]), ("val_gt_mtt.tsv", ["9"]), ("test_gt_mtt.tsv", ["11"])):
        with open(src / name, "w") as f:
            for cid in ids:
                values = clips[cid][1]
                f.write(f"{cid}\t{json.dumps([values[3], values[0]])}\n")
    report, info = _prepare("magnatagatune", src, tmp_path)
    assert report.written == 4 and not report.skipped
    assert info["labels"] == ["techno", "guitar"]
    assert _splits(info) == {"train": 2, "valid": 1, "test": 1}


def test_magnatagatune_folder_split_without_index(tmp_path):
    src = tmp_path / "mtt"
    os.makedirs(src)
    with open(src / "annotations_final.csv", "w") as f:
        f.write('"clip_id"\t"rock"\t"piano"\t"mp3_path"\n')
        for k, folder in enumerate("0cf"):
            f.write(f'"{k}"\t"1"\t"{k % 2}"\t"{folder}/x{k}.mp3"\n')
            _mp3(str(src / folder / f"x{k}.mp3"), seed=k)
    _, info = _prepare("magnatagatune", src, tmp_path)
    assert info["labels"] == ["rock", "piano"]      # by count
    assert _splits(info) == {"train": 1, "valid": 1, "test": 1}


def test_tut18_dcase_layout(tmp_path):
    src = tmp_path / "TUT-urban-acoustic-scenes-2018-development"
    os.makedirs(src / "evaluation_setup")
    for split, names in (("fold1_train", ["airport-a-0.wav", "park-b-1.wav"]), ("fold1_evaluate", ["tram-c-2.wav"])):
        with open(src / "evaluation_setup" / f"{split}.csv", "w") as f:
            f.write("filename\tscene_label\n")
            for k, name in enumerate(names):
                f.write(f"audio/{name}\t{name.split('-')[0]}\n")
                _wav(str(src / "audio" / name), seed=k)
    report, info = _prepare("tut18", src, tmp_path)
    assert report.written == 3 and len(info["labels"]) == 10
    assert _splits(info) == {"train": 2, "test": 1}


def test_birdsong_dcase_metadata_and_a_missing_file_is_skipped(tmp_path):
    src = tmp_path / "birds"
    os.makedirs(src)
    with open(src / "ff1010bird_metadata_2018.csv", "w") as f:
        f.write("itemid,datasetid,hasbird\n")
        for k in range(12):
            f.write(f"{1000 + k},ff1010bird,{k % 2}\n")
            if k != 5:
                _wav(str(src / "ff1010bird" / "wav" / f"{1000 + k}.wav"), seed=k)
    report, info = _prepare("birdsong", src, tmp_path)
    assert report.written == 11 and len(report.skipped) == 1 and "1005.wav" in report.skipped[0][0]
    assert info["labels"] == ["bird", "no_bird"] and set(_splits(info)) <= {"train", "test"}


def test_birdsong_and_tut18_read_a_manifest(tmp_path):
    src = tmp_path / "tut"
    _wav(str(src / "a.wav"))
    _wav(str(src / "b.wav"))
    with open(src / "manifest.csv", "w") as f:
        f.write("path,label,split\na.wav,bus,train\nb.wav,metro,test\n")
    _, info = _prepare("tut18", src, tmp_path)
    assert _splits(info) == {"train": 1, "test": 1}


def test_audioset_segments_local_audio_and_attrition(tmp_path):
    src = tmp_path / "audioset"
    os.makedirs(src / "audio")
    with open(src / "class_labels_indices.csv", "w") as f:
        f.write('index,mid,display_name\n0,/m/09x0r,"Speech"\n1,/m/04rlf,"Music"\n2,/m/0jbk,"Animal, pets"\n')
    header = "# Segments csv\n# num_ytids=2\n# YTID, start_seconds, end_seconds, positive_labels\n"
    with open(src / "balanced_train_segments.csv", "w") as f:
        f.write(header + '--PJHxphWEs, 30.000, 40.000, "/m/09x0r,/m/04rlf"\nabcdefghijk, 0.000, 10.000, "/m/0jbk"\n'
                'gone_gone_1, 0.000, 10.000, "/m/0jbk"\n')
    with open(src / "eval_segments.csv", "w") as f:
        f.write(header + 'zzzzzzzzzzz, 10.000, 20.000, "/m/04rlf"\n')
    _wav(str(src / "audio" / "Y--PJHxphWEs_30.000_40.000.wav"))
    _wav(str(src / "audio" / "abcdefghijk.flac".replace(".flac", ".wav")))
    _wav(str(src / "audio" / "eval" / "zzzzzzzzzzz_10.wav"))
    notes = []
    report = prepare_task("audioset", src, tmp_path / "hares", workers=1, progress=False, log=notes.append)
    info = read_dataset_info(tmp_path / "hares" / "audioset")
    assert report.written == 3
    assert info["labels"] == ["Speech", "Music", "Animal, pets"]
    assert _splits(info) == {"train": 2, "test": 1}
    assert any("1 of 3 segments have no local audio" in n for n in notes)


def test_speech_commands_release_folder_v1_and_v2(tmp_path):
    src = tmp_path / "speech_commands_v0.01"
    for word in ("yes", "no", "bed", "cat"):
        for k in range(2):
            _wav(str(src / word / f"spk{k}_nohash_0.wav"), seed=k)
    _wav(str(src / "_background_noise_" / "white_noise.wav"), seconds=3.0)
    (src / "validation_list.txt").write_text("yes/spk1_nohash_0.wav\n")
    (src / "testing_list.txt").write_text("no/spk1_nohash_0.wav\nbed/spk1_nohash_0.wav\n")
    report, info = _prepare("speech_commands_v1", src, tmp_path)
    assert info["labels"][-2:] == ["_silence_", "_unknown_"] and len(info["labels"]) == 12
    assert report.written == 8 + 3                                    # 3 one-second silence segments
    splits = _splits(info)
    assert splits["test"] >= 2 and splits["valid"] >= 1
    _, info2 = _prepare("speech_commands_v2", src, tmp_path)
    assert info2["labels"] == ["bed", "cat", "no", "yes"] and sum(_splits(info2).values()) == 8


def test_voxceleb_iden_split(tmp_path):
    src = tmp_path / "vox1"
    lines = []
    for k, (spk, kind) in enumerate([("id10001", 1), ("id10002", 1), ("id10001", 3), ("id10002", 2)]):
        rel = f"{spk}/vid{k}/00001.wav"
        _wav(str(src / "wav" / rel), seed=k)
        lines.append(f"{kind} {rel}")
    (src / "iden_split.txt").write_text("\n".join(lines) + "\n")
    _, info = _prepare("voxceleb", src, tmp_path)
    assert info["labels"] == ["id10001", "id10002"]
    assert _splits(info) == {"train": 2, "test": 1, "valid": 1}


@pytest.mark.parametrize("task", ["nsynth_instrument", "nsynth_pitch"])
def test_nsynth_release_json(tmp_path, task):
    src = tmp_path / "nsynth"
    for split, notes in (("train", {"bass_synthetic_033-022-050": ("bass", 22), "guitar_acoustic_001-060-100": ("guitar", 60)}),
                         ("test", {"vocal_synthetic_003-064-075": ("vocal", 64)})):
        meta = {}
        for k, (note, (family, pitch)) in enumerate(notes.items()):
            meta[note] = {"instrument_family_str": family, "pitch": pitch, "velocity": 100}
            _wav(str(src / f"nsynth-{split}" / "audio" / f"{note}.wav"), seed=k)
        os.makedirs(src / f"nsynth-{split}", exist_ok=True)
        (src / f"nsynth-{split}" / "examples.json").write_text(json.dumps(meta))
    _, info = _prepare(task, src, tmp_path)
    assert _splits(info) == {"train": 2, "test": 1}
    assert len(info["labels"]) == (11 if task == "nsynth_instrument" else 128)


def test_format_choice():
    assert choose_format("voxforge", "/nowhere") == "tfds"
    assert choose_format("esc50", "/nowhere") == "files"
    with pytest.raises(ValueError, match="not in TFDS"):
        choose_format("esc50", "/nowhere", "tfds")
    with pytest.raises(KeyError, match="no adapter"):
        choose_format("open_0ad_category", "/nowhere")


@pytest.mark.parametrize("task,tfds_name,classes", [("speech_commands_v1", "speech_commands", 12),
                                                     ("nsynth_pitch", "nsynth", 128),
                                                     ("voxforge", "voxforge", 6)])
def test_tfds_sources_on_mock_data(tmp_path, task, tfds_name, classes):
    import tensorflow_datasets as tfds
    with tfds.testing.mock_data(num_examples=4):
        report, info = _prepare(task, tmp_path / "tfds", tmp_path, fmt="tfds")
    assert report.written == 4 * len(info["splits"]) and len(info["splits"]) >= 2
    assert len(info["labels"]) == classes and "train" in info["splits"] and "test" in info["splits"]
    assert info["complete"]


def test_cli_prepare_task_then_probe_it_with_a_custom_task(tmp_path):
    import subprocess
    import sys
    src = tmp_path / "fsc"
    os.makedirs(src / "data")
    intents = [("activate", "lights", "kitchen"), ("deactivate", "lights", "kitchen"), ("activate", "music", "none")]
    for split, n in (("train", 12), ("test", 6)):
        with open(src / "data" / f"{split}_data.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["", "path", "speakerId", "transcription", "action", "object", "location"])
            for k in range(n):
                rel = f"wavs/{split}{k}.wav"
                w.writerow([k, rel, "s", "t", *intents[k % 3]])
                _wav(str(src / rel), seconds=0.5, seed=k)
    (src / "data" / "valid_data.csv").write_text(",path,speakerId,transcription,action,object,location\n")
    mine = tmp_path / "my_sounds"
    for k in range(6):
        _wav(str(mine / f"{k}.wav"), seed=k)
    (mine / "manifest.csv").write_text("path,label,split\n" + "".join(
        f"{k}.wav,{'ab'[k % 2]},{'train' if k < 4 else 'test'}\n" for k in range(6)))
    env = {**os.environ, "HARES_ZOO_CACHE": str(tmp_path / "cache")}
    cli = [sys.executable, "-m", "zoo.cli.main"]
    data = tmp_path / "hares"
    bad = subprocess.run(cli + ["prepare", "--task=fluent_speech_commands", f"--source={tmp_path / 'nope'}",
                                f"--data_dir={data}"], capture_output=True, text=True, env=env, timeout=300)
    assert bad.returncode != 0 and "Expected layout" in bad.stderr and "data/train_data.csv" in bad.stderr
    for args in (["--task=fluent_speech_commands", f"--source={src}", f"--data_dir={data}"],
                 [f"--manifest={mine / 'manifest.csv'}", f"--out={data / 'my_sounds'}"]):
        done = subprocess.run(cli + ["prepare", "--workers=1"] + args, capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
    probe = subprocess.run(cli + ["probe", "--model=logmel", "--tasks=fluent_speech_commands,my_sounds",
                                  f"--data_dir={data}", "--probe_steps=50", "--custom_crop_seconds=0.25",
                                  f"--out={tmp_path / 'report'}"], capture_output=True, text=True, env=env, timeout=300)
    assert probe.returncode == 0, probe.stderr[-2000:]
    report = json.load(open(tmp_path / "report" / "scores.json"))
    assert set(report["logmel"]["tasks"]) == {"fluent_speech_commands", "my_sounds"}
    assert len(os.listdir(tmp_path / "cache" / "embeddings")) == 4        # train + test of each task
    whole = subprocess.run(cli + ["probe", "--model=logmel", "--tasks=all", f"--data_dir={data}",
                                  "--probe_solver=lbfgs", f"--out={tmp_path / 'all'}"], capture_output=True, text=True, env=env, timeout=300)
    assert whole.returncode == 0, whole.stderr[-2000:]
    assert "scoring the other 1 tasks" in whole.stdout and "Not run" in whole.stdout and "audioset" in whole.stdout
    whole_report = json.load(open(tmp_path / "all" / "scores.json"))["logmel"]
    assert list(whole_report["tasks"]) == ["fluent_speech_commands"] and whole_report["probe"]["solver"] == "lbfgs"


def test_tfds_source_not_prepared_names_the_place(tmp_path):
    with pytest.raises(MissingDataError, match=r"(?s)'voxforge' is not prepared.*looked in .*empty.*tfds build"):
        prepare_task("voxforge", tmp_path / "empty", tmp_path / "out", progress=False, log=lambda *_: None)
