"""Crop-consistent teacher targets (`zoo.teachers.crop_targets`): each row is the teacher's output on
its crop, a resumed computation ends equal to an uninterrupted one, a damaged or stale cache is named
and recomputed, and the training pipeline serves each stored crop with its own row."""

import json
import os
import shutil

import numpy as np
import pytest
import tensorflow as tf

from zoo.errors import ConfigError, ZooError
from zoo.teachers import crop_targets
from zoo.teachers.base import Teacher, TeacherSpec
from zoo.teachers.crop_targets import (compute_crop_targets, crop_offsets, ensure_crop_targets,
                                       load_crop_targets)

CROP_S, HOP_S = 0.5, 0.25
CROP, HOP = 8000, 4000


class _StatsTeacher(Teacher):
    """A stand-in teacher: [mean, RMS, peak] of the crop; cannot embed about a third of the crops
    (those whose sum, times 1e4 and truncated, is a multiple of 3)."""

    def __init__(self, version="1"):
        self.spec = TeacherSpec("stats", "level", 3, "none", version, "", "", "MIT", "")

    def embed_batch(self, clips):
        rows = []
        for clip in clips:
            if int(abs(clip.sum()) * 1e4) % 3 == 0:
                raise ValueError("refused by content")
            rows.append([clip.mean(), np.sqrt(np.mean(clip ** 2)), np.abs(clip).max()])
        return np.asarray(rows, np.float32)


def _clips(pool):
    from zoo.data.tfrecords import parse_example
    files = sorted(map(str, pool.glob("train-*.tfrecord")))
    out = {}
    for serialized in tf.data.TFRecordDataset(files):
        example = parse_example(serialized)
        out[example["clip_id"].numpy().decode()] = example["waveform"].numpy()
    return out


@pytest.fixture
def pool(tmp_path, tiny_minihares):
    path = tmp_path / "pool"
    shutil.copytree(tiny_minihares["pool"], path, ignore=shutil.ignore_patterns("teachers"))
    return path


def test_crop_offsets_cover_the_clip_at_the_hop():
    assert crop_offsets(8000, 8000, 4000) == [0]
    assert crop_offsets(3000, 8000, 4000) == [0]                  # shorter than a crop: one, zero-padded
    assert crop_offsets(20000, 8000, 4000) == [0, 4000, 8000, 12000]
    assert crop_offsets(19999, 8000, 4000) == [0, 4000, 8000]


def test_each_row_is_the_teachers_output_on_its_crop_and_failures_are_named(pool, capsys):
    teacher = _StatsTeacher()
    path = compute_crop_targets(str(pool), "stats", crop_seconds=CROP_S, hop_seconds=HOP_S, teacher=teacher)
    out = capsys.readouterr().out
    cached = np.load(path)
    clips = _clips(pool)
    expected = [(c, o) for c, w in clips.items() for o in crop_offsets(w.size, CROP, HOP)]
    got = list(zip(cached["clip_id"].astype(str), cached["offset"]))
    failed = list(zip(cached["failed_clip"].astype(str), cached["failed_offset"]))
    assert sorted(got + failed) == sorted(expected)
    assert 0 < len(failed) < len(expected)
    assert f"{len(got)} crops embedded, {len(failed)} skipped" in out
    clip_id, offset = failed[0]
    assert f"skipped crop of clip {clip_id} at {offset / 16000:.2f} s: refused by content" in out
    for (clip_id, offset), row in zip(got, cached["embedding"]):
        crop = np.pad(clips[clip_id], (0, CROP))[offset:offset + CROP]
        np.testing.assert_allclose(row, teacher.embed(crop), rtol=1e-6, atol=1e-7)


def test_a_resumed_computation_ends_equal_to_an_uninterrupted_one(pool, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(crop_targets, "CROPS_PER_CALL", 8)       # 52 crops: seven calls
    other = tmp_path / "other"
    shutil.copytree(pool, other)
    whole = np.load(compute_crop_targets(str(other), "stats", crop_seconds=CROP_S, hop_seconds=HOP_S,
                                         teacher=_StatsTeacher()))
    monkeypatch.setattr(crop_targets, "SAVE_EVERY", 1)
    assert compute_crop_targets(str(pool), "stats", crop_seconds=CROP_S, hop_seconds=HOP_S, teacher=_StatsTeacher(),
                                stop_after_calls=2) is None                # killed after two calls
    capsys.readouterr()
    resumed = np.load(compute_crop_targets(str(pool), "stats", crop_seconds=CROP_S, hop_seconds=HOP_S,
                                           teacher=_StatsTeacher()))
    assert f"resuming crop targets at crop {2 * crop_targets.CROPS_PER_CALL}" in capsys.readouterr().out
    for key in ("clip_id", "offset", "embedding", "failed_clip", "failed_offset", "fingerprint", "teacher_key"):
        np.testing.assert_array_equal(resumed[key], whole[key])
    assert not os.path.exists(crop_targets.cache_path(str(pool), "stats", "train", CROP, HOP) + ".partial.npz")


def test_a_truncated_or_stale_cache_is_named_and_recomputed(pool, tmp_path, capsys):
    teacher = _StatsTeacher()
    path = compute_crop_targets(str(pool), "stats", crop_seconds=CROP_S, hop_seconds=HOP_S, teacher=teacher)
    capsys.readouterr()
    ensure_crop_targets(str(pool), [teacher], crop_seconds=CROP_S, hop_seconds=HOP_S)
    assert capsys.readouterr().out == ""                            # valid: kept
    with open(path, "rb") as f:
        head = f.read(500)
    with open(path, "wb") as f:
        f.write(head)                                                  # truncated
    with pytest.raises(ZooError, match="no valid stats crop targets at .*crop500ms-hop250ms.npz"):
        load_crop_targets(str(pool), [teacher], crop_seconds=CROP_S, hop_seconds=HOP_S)
    assert "truncated or unreadable" in capsys.readouterr().out
    ensure_crop_targets(str(pool), [teacher], crop_seconds=CROP_S, hop_seconds=HOP_S)
    assert "crops embedded" in capsys.readouterr().out                # recomputed
    ensure_crop_targets(str(pool), [_StatsTeacher(version="2")], crop_seconds=CROP_S, hop_seconds=HOP_S)
    assert f"{path}: stale, it was computed on another teacher version" in capsys.readouterr().out
    other = tmp_path / "other_pool"                                    # another pool's cache copied in
    shutil.copytree(pool, other)
    info = json.loads((other / "dataset_info.json").read_text())
    (other / "dataset_info.json").write_text(json.dumps({**info, "clip_set_fingerprint": "another pool"}))
    with pytest.raises(ZooError):
        load_crop_targets(str(other), [_StatsTeacher(version="2")], crop_seconds=CROP_S, hop_seconds=HOP_S)
    assert "stale, it was computed on other clips" in capsys.readouterr().out
    with pytest.raises(ZooError, match="no valid stats crop targets"):   # other crops: another file
        load_crop_targets(str(pool), [_StatsTeacher(version="2")], crop_seconds=CROP_S, hop_seconds=0.125)


def test_the_pipeline_serves_a_stored_crop_with_its_own_targets(pool):
    from zoo.data.pipeline import training_dataset
    teacher = _StatsTeacher()
    ensure_crop_targets(str(pool), [teacher], crop_seconds=CROP_S, hop_seconds=HOP_S)
    table = load_crop_targets(str(pool), [teacher], crop_seconds=CROP_S, hop_seconds=HOP_S)
    assert table.left_out == {"stats": int(np.sum(np.load(crop_targets.cache_path(
        str(pool), "stats", "train", CROP, HOP))["failed_clip"].size))}
    raw = np.load(crop_targets.cache_path(str(pool), "stats", "train", CROP, HOP))["embedding"]
    mean, std = raw.mean(0), raw.std(0) + 1e-6
    batch = next(iter(training_dataset(str(pool), crop_seconds=CROP_S, batch_size=8, seed=3, views=2,
                                       targets=table)))
    clips = _clips(pool)
    for view, target, clip_id in zip(batch["views"][:, 0].numpy(), batch["targets"].numpy(), batch["clip_id"].numpy()):
        clip = np.pad(clips[clip_id.decode()], (0, CROP))
        starts = [o for o in crop_offsets(clips[clip_id.decode()].size, CROP, HOP)
                  if np.array_equal(clip[o:o + CROP], view)]
        assert starts, "the view is not one of the clip's stored crops"
        if table.filled == 0 or np.any(target):
            np.testing.assert_allclose(target, (teacher.embed(view) - mean) / std, rtol=1e-4, atol=1e-4)
    with pytest.raises(ConfigError, match="crop targets of 8000 samples for crops of 16000"):
        training_dataset(str(pool), crop_seconds=1.0, batch_size=8, seed=3, views=2, targets=table)
