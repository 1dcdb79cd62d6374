import json
import os

import numpy as np
import pytest
import tensorflow as tf

from zoo.data.audio_io import write_wav
from zoo.data.pipeline import evaluation_dataset, shard_files, training_dataset
from zoo.data.prepare import prepare_shards, read_dataset_info
from zoo.data.tfrecords import parse_example
from zoo.errors import ZooError


@pytest.fixture
def corpus(tmp_path):
    """Seven good clips (0.3 to 2.5 s), one corrupt and one missing file, two splits."""
    rng = np.random.default_rng(0)
    rows = []
    for i, seconds in enumerate([0.3, 0.5, 1.0, 1.5, 2.0, 2.5, 1.2]):
        write_wav(tmp_path / f"clip{i}.wav", 0.1 * rng.standard_normal(int(seconds * 16000)))
        rows.append(f"clip{i}.wav,{'dog' if i % 2 else 'cat;bird'},{'test' if i >= 5 else 'train'}")
    (tmp_path / "broken.wav").write_bytes(b"RIFF0000WAVEfmt nonsense")
    rows += ["broken.wav,dog,train", "gone.wav,cat,train"]
    (tmp_path / "manifest.csv").write_text("path,label,split\n" + "\n".join(rows) + "\n")
    return tmp_path


def read_clip_ids(folder):
    ids = []
    for path in sorted(tf.io.gfile.glob(os.path.join(folder, "*.tfrecord"))):
        for record in tf.data.TFRecordDataset(path):
            ids.append(parse_example(record)["clip_id"].numpy().decode())
    return sorted(ids)


def test_prepare_reports_bad_files_and_keeps_every_good_clip(corpus, tmp_path):
    out = tmp_path / "shards"
    report = prepare_shards(corpus / "manifest.csv", out, clips_per_shard=2, workers=2, progress=False)
    assert sorted(p for p, _ in report.skipped) == ["broken.wav", "gone.wav"]
    assert dict(report.skipped)["gone.wav"] == "file not found"
    assert "cannot decode" in dict(report.skipped)["broken.wav"]
    assert report.written == 7
    assert read_clip_ids(out) == sorted(f"clip{i}.wav" for i in range(7))
    info = read_dataset_info(out)
    assert info["labels"] == ["bird", "cat", "dog"]
    assert info["splits"]["train"]["clips"] == 5 and info["splits"]["test"]["clips"] == 2
    assert "2 skipped" in report.summary() and "broken.wav" in report.summary()


def test_prepare_resumes_and_refuses_another_manifest(corpus, tmp_path):
    out = tmp_path / "shards"
    first = prepare_shards(corpus / "manifest.csv", out, clips_per_shard=2, workers=1, progress=False)
    victim = shard_files(str(out), "train")[1]
    os.remove(victim + ".json")          # as if killed while writing this shard
    with open(victim, "wb") as f:
        f.write(b"partial")
    second = prepare_shards(corpus / "manifest.csv", out, clips_per_shard=2, workers=1, progress=False)
    assert second.resumed_shards == first.shards - 1
    assert second.written == first.written and sorted(second.skipped) == sorted(first.skipped)
    assert read_clip_ids(out) == sorted(f"clip{i}.wav" for i in range(7))
    (corpus / "manifest.csv").write_text("path,label\nclip0.wav,cat\n")
    with pytest.raises(ZooError, match="different manifest"):
        prepare_shards(corpus / "manifest.csv", out, progress=False)
    replaced = prepare_shards(corpus / "manifest.csv", out, progress=False, replace_stale=True)
    assert replaced.written == 1 and replaced.resumed_shards == 0
    assert read_clip_ids(out) == ["clip0.wav"]           # no shard of the old manifest is left


def test_shards_can_be_shuffled_at_write_time(corpus, tmp_path):
    """A manifest listed source by source (20 rows of source a, then 20 of b): in manifest order
    each shard of 10 holds one source; shuffled, each holds both, every clip still once, the same
    plan for the same seed; a folder written in the other order is refused, naming the setting."""
    from zoo.data.manifest import ManifestRow
    from zoo.data.prepare import plan_shards
    rows = [ManifestRow(f"{s}{i}.wav", f"{s}{i}.wav", (), "train", None, None, i + 2)
            for s in "ab" for i in range(20)]
    sources = lambda plan: [sorted({r.relative_path[0] for r in shard}) for shard in plan.values()]
    assert sources(plan_shards(rows, 10)) == [["a"], ["a"], ["b"], ["b"]]
    shuffled = plan_shards(rows, 10, shuffle_seed=0)
    assert sources(shuffled) == [["a", "b"]] * 4
    assert sorted(r.relative_path for shard in shuffled.values() for r in shard) == sorted(r.relative_path for r in rows)
    assert shuffled == plan_shards(rows, 10, shuffle_seed=0) != plan_shards(rows, 10, shuffle_seed=1)
    out = tmp_path / "shards"
    prepare_shards(corpus / "manifest.csv", out, clips_per_shard=2, workers=1, progress=False)
    with pytest.raises(ZooError, match="clip order \\(--shuffle_seed\\)"):
        prepare_shards(corpus / "manifest.csv", out, clips_per_shard=2, workers=1, progress=False, shuffle_seed=0)


def test_shards_round_trip_audio(corpus, tmp_path):
    from zoo.data.audio_io import read_audio
    out = tmp_path / "shards"
    prepare_shards(corpus / "manifest.csv", out, progress=False)
    record = next(iter(tf.data.TFRecordDataset(shard_files(str(out), "train"))))
    example = parse_example(record)
    np.testing.assert_allclose(example["waveform"].numpy(), read_audio(corpus / "clip0.wav"), atol=1 / 32768)


def test_training_and_evaluation_pipelines(corpus, tmp_path):
    out = str(tmp_path / "shards")
    prepare_shards(corpus / "manifest.csv", out, progress=False)
    train = training_dataset(out, "train", num_classes=3, crop_seconds=1.0, batch_size=4, seed=1)
    batch = next(iter(train))
    assert batch["waveform"].shape == (4, 16000) and batch["labels"].shape == (4, 3)
    assert set(np.unique(batch["labels"].numpy())) <= {0.0, 1.0}
    assert np.all(batch["labels"].numpy().sum(1) >= 1)
    # Two draws of the same short clip set differ: crops are random.
    second = next(iter(train.skip(3)))
    assert not np.array_equal(batch["waveform"].numpy(), second["waveform"].numpy())
    evaluation = evaluation_dataset(out, "test", num_classes=3, crop_seconds=1.0, batch_size=3)
    ids = np.concatenate([b["clip_id"].numpy() for b in evaluation])
    # test clips: clip5 (2.5 s -> 3 sub-clips, last padded), clip6 (1.2 s -> 2 sub-clips)
    assert [i.decode() for i in ids] == ["clip5.wav"] * 3 + ["clip6.wav"] * 2
    pieces = np.concatenate([b["waveform"].numpy() for b in evaluation])
    assert pieces.shape == (5, 16000) and np.all(pieces[2, 8000:] == 0)
    with pytest.raises(ZooError, match="no shards for split 'valid'"):
        evaluation_dataset(out, "valid")
    # Two views: independent crops of a 2.5-s clip differ; shared crops are identical (BYOL-A's views).
    for shared in (False, True):
        views = next(iter(training_dataset(out, "test", 3, 0.5, 2, seed=3, views=2, shared_crop=shared)))["views"]
        same = np.array_equal(views[:, 0].numpy(), views[:, 1].numpy())
        assert views.shape == (2, 2, 8000) and same == shared
