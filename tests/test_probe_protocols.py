"""The per-task probe protocols: evaluation windows, the AudioSet MLP, FSC's three slots, ESC-50's SVM
sweep over folds, the paper's counts, and the on-disk embedding cache."""

import csv
import os

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.data.audio_io import write_wav
from zoo.data.pipeline import evaluation_dataset, first_window, overlapped_windows
from zoo.hares import embedding_cache
from zoo.hares.adapters import prepare_task
from zoo.hares.linear_probe import ProbeSettings, build_head, fit_and_score, slot_targets
from zoo.hares.probe import score_task, settings_for
from zoo.hares.svm import PAPER_REGULARIZATION, svm_fold_sweep
from zoo.hares.tasks import get_task


def test_overlapped_and_full_windows():
    waveform = tf.range(100, dtype=tf.float32)
    windows = overlapped_windows(waveform, 30, 10).numpy()
    assert windows.shape == (10, 30)
    assert windows[0, 0] == 0 and windows[-1, -1] == 99             # first starts at 0, last ends at the end
    assert np.all(np.diff(windows[:, 0]) > 0)                        # equally spaced, overlapping
    short = overlapped_windows(tf.ones(5), 8, 10).numpy()
    assert short.shape == (10, 8) and short[0, 5:].sum() == 0        # zero-padded
    np.testing.assert_array_equal(first_window(waveform, 40).numpy(), np.arange(40)[None])
    assert first_window(tf.ones(3), 5).numpy().tolist() == [[1, 1, 1, 0, 0]]


def _clusters(rng, n, classes, dim=16, noise=0.3):
    centres = rng.standard_normal((classes, dim)) * 2
    labels = rng.integers(0, classes, n)
    return centres[labels] + noise * rng.standard_normal((n, dim)), np.eye(classes)[labels]


def test_three_slot_head_counts_a_clip_only_when_all_slots_are_right(rng):
    names = [f"{a}|{o}|{l}" for a in ("on", "off") for o in ("lights", "music") for l in ("kitchen", "none")]
    targets, vocabularies = slot_targets(np.eye(8), names)
    assert vocabularies == [["off", "on"], ["lights", "music"], ["kitchen", "none"]]
    assert [t.shape for t in targets] == [(8, 2)] * 3 and targets[0][0].tolist() == [0, 1]
    # Features carry the action and object but not the location: at best half the clips are right.
    n = 800
    intent = rng.integers(0, 8, n)
    action, obj = intent // 4, (intent // 2) % 2
    x = np.stack([action * 2.0 - 1, obj * 2.0 - 1], 1) + 0.05 * rng.standard_normal((n, 2))
    x = np.concatenate([x, rng.standard_normal((n, 4))], 1)
    y = np.eye(8)[intent]
    ids = np.array([str(i) for i in range(n)])
    score = fit_and_score(x[:600], y[:600], x[600:], y[600:], ids[600:], ProbeSettings(steps=300),
                          head="three_slots", label_names=names)
    assert 0.35 < score < 0.65
    with pytest.raises(ValueError, match="action|object|location"):
        slot_targets(np.eye(2), ["a", "b"])


def test_mlp512_head_shape_and_it_learns(rng):
    model = build_head("mlp512", 16, [5])
    assert [w.shape for w in model.weights][:2] == [(16, 512), (512,)]
    x, y = _clusters(rng, 400, 5)
    ids = np.array([str(i) for i in range(400)])
    assert fit_and_score(x[:300], y[:300], x[300:], y[300:], ids[300:], ProbeSettings(steps=200),
                         head="mlp512") > 0.9
    with pytest.raises(ValueError, match="probe head 'svm'"):
        build_head("svm", 4, [2])


def test_svm_sweep_picks_on_the_first_split_and_averages_all(rng):
    x, y = _clusters(rng, 250, 4, noise=1.0)
    folds = {f"fold{k + 1}": (x[k::5], y[k::5], np.array([f"{k}-{i}" for i in range(len(x[k::5]))])) for k in range(5)}
    result = svm_fold_sweep(folds)
    assert result["regularization"] in PAPER_REGULARIZATION and set(result["first_split"]) == set(PAPER_REGULARIZATION)
    assert list(result["splits"]) == [f"fold{k}" for k in range(1, 6)]
    assert result["splits"]["fold1"] == max(result["first_split"].values())
    assert result["score"] == pytest.approx(np.mean(list(result["splits"].values())))
    assert result["score"] > 0.8
    # Pure noise labels score near chance: the sweep does not leak the held-out fold.
    noise = {k: (v[0], np.eye(4)[rng.integers(0, 4, len(v[0]))], v[2]) for k, v in folds.items()}
    assert svm_fold_sweep(noise)["score"] < 0.5


def test_paper_protocol_counts():
    paper = ProbeSettings(paper_protocol=True)
    assert (settings_for(get_task("audioset"), paper).batch_size, settings_for(get_task("audioset"), paper).steps) == (128, 200_000)
    s = settings_for(get_task("voxforge"), paper)
    assert (s.batch_size, s.steps, s.peak_learning_rate) == (64, 400_000, 2e-4)
    assert s.warmup_fraction * s.steps == pytest.approx(5000)
    assert settings_for(get_task("voxforge"), ProbeSettings(steps=7)).steps == 7


def _esc50(tmp_path, rng):
    src = tmp_path / "ESC-50-master"
    os.makedirs(src / "meta")
    os.makedirs(src / "audio")
    t = np.arange(8000) / 16000
    with open(src / "meta" / "esc50.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["filename", "fold", "target", "category", "esc10", "src_file", "take"])
        for k in range(30):
            label = k % 2
            name = f"{k % 5 + 1}-{k}-A-{label}.wav"
            w.writerow([name, k % 5 + 1, label, ["hum", "hiss"][label], "False", k, "A"])
            audio = 0.3 * np.sin(2 * np.pi * 150 * t) if label == 0 else 0.1 * rng.standard_normal(t.size)
            write_wav(str(src / "audio" / name), audio * rng.uniform(0.5, 1.5))
    prepare_task("esc50", src, tmp_path / "hares", workers=1, progress=False, log=lambda *_: None)
    return str(tmp_path / "hares" / "esc50")


def test_esc50_end_to_end_svm_and_embedding_cache(tmp_path, rng, monkeypatch):
    folder = _esc50(tmp_path, rng)
    encoder = zoo.create_encoder("logmel")
    score = score_task(encoder, folder, get_task("esc50"))
    assert score > 0.9                                    # hum vs hiss, separable from log-mel
    cached = os.listdir(os.path.dirname(embedding_cache.entry_path("x", {"labels": [], "splits": {}}, "s", "r", 1)))
    assert len([c for c in cached if c.endswith(".npz")]) >= 5          # one file per fold
    import zoo.hares.embed as embed
    monkeypatch.setattr(embed, "embed_dataset", lambda *a, **k: pytest.fail("cache missed"))
    assert score_task(encoder, folder, get_task("esc50")) == score     # read back, same number
    other = zoo.create_encoder("logmel_conv_tiny")
    with pytest.raises(pytest.fail.Exception, match="cache missed"):
        score_task(other, folder, get_task("esc50"))                  # a different encoder misses


def test_mixed_passes_mix_windows_and_labels_by_one_ratio(tmp_path):
    from zoo.data.pipeline import mixed_dataset
    from zoo.data.prepare import prepare_shards
    levels = {"a": 0.1, "b": 0.3, "c": 0.6}              # each class a constant waveform of its own level
    lines = ["path,label,split"]
    for k in range(12):
        label = "abc"[k % 3]
        write_wav(str(tmp_path / f"{k}.wav"), np.full(8000 + 800 * k, levels[label]))
        lines.append(f"{k}.wav,{label},train")
    (tmp_path / "m.csv").write_text("\n".join(lines) + "\n")
    prepare_shards(str(tmp_path / "m.csv"), str(tmp_path / "shards"), workers=1, progress=False)

    def windows(seed, rule):
        batches = list(mixed_dataset(str(tmp_path / "shards"), "train", 3, 0.25, 5, passes=2, seed=seed, rule=rule))
        return (np.concatenate([b["waveform"].numpy() for b in batches]),
                np.concatenate([b["labels"].numpy() for b in batches]),
                [c.decode() for b in batches for c in b["clip_id"].numpy()])

    wave, labels, ids = windows(0, "subclips")
    assert wave.shape == (24, 4000) and len(ids) == 24 and len(set(ids)) == 12      # 2 passes x 12 clips
    np.testing.assert_allclose(labels.sum(1), 1.0, atol=1e-5)                      # soft labels, one ratio
    # Each window is lam * own + (1 - lam) * partner, and its labels carry the same lam.
    np.testing.assert_allclose(wave.mean(1), labels @ np.array(list(levels.values())), atol=2e-3)
    mixed = labels.max(1) < 0.999
    assert mixed.sum() >= 8                                   # partners of other classes do get mixed in
    assert np.all(labels[mixed].max(1) > 0.05)
    again, _, _ = windows(0, "subclips")
    np.testing.assert_array_equal(wave, again)                                      # seeded: reproducible
    other, _, _ = windows(1, "subclips")
    assert not np.allclose(wave, other)
    with pytest.raises(ValueError, match="passes must be >= 1"):
        mixed_dataset(str(tmp_path / "shards"), "train", 3, 0.25, passes=0)


def test_augmented_passes_reach_esc50_only_where_the_paper_augments(tmp_path, rng):
    paper = ProbeSettings(paper_protocol=True)
    assert settings_for(get_task("esc50"), paper).augmented_passes == 10
    assert settings_for(get_task("audioset"), paper).augmented_passes == 10
    assert settings_for(get_task("voxforge"), ProbeSettings(augmented_passes=3)).augmented_passes == 0
    folder = _esc50(tmp_path, rng)
    encoder = zoo.create_encoder("logmel")
    score = score_task(encoder, folder, get_task("esc50"), ProbeSettings(augmented_passes=2))
    assert score > 0.9                                        # trained on mixed clips, scored on clean ones
    cached = os.listdir(os.path.dirname(embedding_cache.entry_path("x", {"labels": [], "splits": {}}, "s", "r", 1)))
    assert len([c for c in cached if c.endswith(".npz")]) >= 10      # clean and mixed windows per fold


def test_encoder_key_follows_the_weights():
    encoder = zoo.create_encoder("logmel_conv_tiny")                # built: it has weights, so an identity
    unbuilt = encoder.__class__.from_config(encoder.get_config())
    assert embedding_cache.encoder_key(unbuilt) is None               # no weights yet: no identity
    key = embedding_cache.encoder_key(encoder)
    assert key is not None
    assert key == embedding_cache.encoder_key(encoder)
    encoder.weights[0].assign(encoder.weights[0] + 1.0)
    assert embedding_cache.encoder_key(encoder) != key
    assert embedding_cache.encoder_key(object()) is None


def test_encoder_key_follows_the_code(tmp_path, monkeypatch):
    """Two encoders with the same class name, config and (no) weights whose code differs get
    different keys: an edit to a weightless encoder such as logmel_stats misses the cache."""
    import importlib.util
    import sys

    def build(source, name):
        path = tmp_path / f"{name}.py"
        path.write_text(source)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, name, module)            # as an imported module is
        spec.loader.exec_module(module)
        layer = module.Stats(name="stats")
        layer.build((None, 4))
        return layer

    template = ("import keras\n\nclass Stats(keras.layers.Layer):\n"
                "    def call(self, x):\n        return keras.ops.{}(x, axis=-1)\n")
    mean, std = build(template.format("mean"), "stats_a"), build(template.format("std"), "stats_b")
    assert mean.get_config() == std.get_config() and not mean.weights
    assert embedding_cache.encoder_key(mean) != embedding_cache.encoder_key(std)
    assert embedding_cache.encoder_key(mean) == embedding_cache.encoder_key(build(template.format("mean"), "stats_c"))
    sources = [os.path.relpath(p, os.path.dirname(zoo.__file__)) for p in
               embedding_cache.layer_sources(zoo.create_encoder("logmel_stats"))]
    assert {"encoders/baselines.py", "encoders/base.py", "frontends/log_mel.py"} <= set(sources)


def test_a_teachers_key_names_its_wheel_and_port():
    """A teacher is cached by its pinned wheel (spec) and its port's source; another spec misses."""
    import dataclasses

    from zoo.teachers import create_teacher
    teacher = create_teacher("resemblyzer")
    key = embedding_cache.encoder_key(teacher)
    assert key is not None and key == embedding_cache.encoder_key(create_teacher("resemblyzer"))
    teacher.spec = dataclasses.replace(teacher.spec, version="0.0.0")
    assert embedding_cache.encoder_key(teacher) != key


def test_a_concat_row_reads_and_writes_its_parts_entries(tmp_path, rng, monkeypatch):
    """concat:logmel+logmel_stats embeds each part through the cache: its windows are the parts'
    embeddings side by side, and once the parts are cached nothing is embedded again."""
    from zoo.hares.models import load_probe_model
    from zoo.hares.probe import split_embeddings
    folder = _esc50(tmp_path, rng)
    task = get_task("esc50")
    parts = [split_embeddings(load_probe_model(n), folder, task, "fold1", task.eval_rule)
             for n in ("logmel", "logmel_stats")]
    import zoo.hares.embed as embed
    monkeypatch.setattr(embed, "embed_dataset", lambda *a, **k: pytest.fail("cache missed"))
    x, labels, ids = split_embeddings(load_probe_model("concat:logmel+logmel_stats"), folder, task, "fold1",
                                      task.eval_rule)
    np.testing.assert_array_equal(x, np.concatenate([parts[0][0], parts[1][0]], axis=1))
    np.testing.assert_array_equal(labels, parts[0][1])
    np.testing.assert_array_equal(ids, parts[1][2])
    assert x.shape == (6, parts[0][0].shape[1] + parts[1][0].shape[1])        # 30 clips, five folds


def test_evaluation_dataset_refuses_an_unknown_rule(tmp_path):
    with pytest.raises(ValueError, match="evaluation rule 'middle'"):
        evaluation_dataset(str(tmp_path), "test", 2, 1.0, rule="middle")


def test_auto_steps_scale_with_the_training_set():
    from zoo.hares.linear_probe import auto_steps
    assert auto_steps(200) == 20_000                    # small sets: the floor that lets 2e-4 converge
    assert auto_steps(64 * 300) == 30_000               # 100 epochs
    assert auto_steps(10 ** 9) == 400_000               # never more than the paper


def test_standardising_by_slices_matches_the_whole_array(rng, monkeypatch):
    from zoo.hares import linear_probe
    monkeypatch.setattr(linear_probe, "CHUNK_ROWS", 7)                # several slices on a small array
    x = (rng.standard_normal((50, 6)) * [1, 2, 3, 4, 5, 6] + 10).astype(np.float32)
    mean, std = linear_probe.feature_moments(x)
    np.testing.assert_allclose(mean, x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(std, x.std(0) + 1e-6, rtol=1e-4)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 50)]
    weights = []
    for inputs, standardize in (((x - mean) / std, None), (x, (mean, std))):
        head = build_head("linear", 6, [3])
        linear_probe.train_loop(head, inputs, [y], 1e-2, 40, 4, 8, 0, False, standardize=standardize)
        weights.append(head.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, atol=1e-5)
    assert np.abs(weights[0][0]).max() > 0                            # it trained


def test_padded_inputs_reach_tensorflow_without_a_copy():
    from zoo.hares.linear_probe import ALIGNMENT, _aligned_zeros, _as_tensor
    array = _aligned_zeros((513, 130))
    assert array.ctypes.data % ALIGNMENT == 0 and array.shape == (513, 130) and not array.any()
    tensor = _as_tensor(array)
    array[3, 4] = 7.0
    assert float(tensor[3, 4]) == 7.0                                  # one buffer, shared
    unaligned = np.zeros(1 + 8 * 5, np.float32)[1:].reshape(8, 5)       # 4 bytes off the boundary
    unaligned[0, 0] = 2.0
    copied = _as_tensor(unaligned)
    assert unaligned.ctypes.data % ALIGNMENT != 0 and float(copied[0, 0]) == 2.0
