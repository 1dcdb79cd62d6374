import csv
import json
import os

import numpy as np

from zoo.data import minihares
from zoo.data.audio_io import read_audio


def test_clips_are_deterministic_finite_and_in_range():
    a = minihares.synthesize("speech_keyword", "aiu", "train", 3, seed=7)
    b = minihares.synthesize("speech_keyword", "aiu", "train", 3, seed=7)
    c = minihares.synthesize("speech_keyword", "aiu", "train", 4, seed=7)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    for task in minihares.TASKS:
        for label in task.classes:
            x = minihares.synthesize(task.name, label, "test", 0)
            assert x.shape == (int(task.clip_seconds * 16000),)
            assert np.all(np.isfinite(x)) and np.max(np.abs(x)) <= 1.0 and np.std(x) > 1e-4


def test_splits_differ_in_nuisance_factors():
    def level(split):
        return [20 * np.log10(np.sqrt(np.mean(minihares.synthesize("music_pitch", "A", split, i) ** 2)))
                for i in range(30)]
    train, test = level("train"), level("test")
    assert np.ptp(test) > np.ptp(train)  # wider loudness range at test time
    hum = {s: minihares.synthesize("env_scene", "hum", s, 0) for s in ("train", "test")}
    full = {s: np.abs(np.fft.rfft(x)) for s, x in hum.items()}  # 2-s clips: 0.5 Hz bins
    assert full["train"][100] > 5 * full["train"][120]   # 50 Hz mains in train
    assert full["test"][120] > 5 * full["test"][100]     # 60 Hz mains in test


def test_generate_writes_manifests_and_info(tmp_path):
    info = minihares.generate(str(tmp_path), size="tiny", workers=1)
    train_n, test_n, pool_n = minihares.SIZES["tiny"]
    assert info["pool_clips"] == pool_n and len(info["tasks"]) == 6
    domains = {t["domain"] for t in info["tasks"]}
    assert domains == {"environment", "speech", "music"}
    for task in minihares.TASKS:
        with open(tmp_path / task.name / "manifest.csv") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == len(task.classes) * (train_n + test_n)
        assert {r["split"] for r in rows} == {"train", "test"}
        audio = read_audio(tmp_path / task.name / rows[0]["path"])
        assert audio.shape == (int(task.clip_seconds * 16000),)
    with open(tmp_path / "minihares.json") as f:
        assert json.load(f)["size"] == "tiny"
    stamp = os.path.getmtime(tmp_path / "minihares.json")
    minihares.generate(str(tmp_path), size="tiny", workers=1)       # already there: not rewritten
    assert os.path.getmtime(tmp_path / "minihares.json") == stamp
