import json
import os
import subprocess
import sys

from zoo.data.audio_io import write_wav
import numpy as np

CLI = [sys.executable, "-m", "zoo.cli.main"]


def run(*args, **kwargs):
    return subprocess.run(CLI + list(args), capture_output=True, text=True, timeout=600, **kwargs)


def test_top_level_help_lists_subcommands():
    result = run("--help")
    assert result.returncode == 0
    for name in ("demo", "prepare", "pretrain", "export", "encoders"):
        assert name in result.stdout
    assert run("frobnicate").returncode == 2


def test_subcommand_help_explains_flags():
    result = run("prepare", "--help")
    assert result.returncode == 0
    assert "--manifest" in result.stdout and "--clips_per_shard" in result.stdout
    assert "escapes" not in result.stdout  # only this subcommand's flags, not a dump of everything
    assert "--probe_steps" not in result.stdout


def test_prepare_reports_skipped_files(tmp_path):
    write_wav(tmp_path / "good.wav", np.zeros(1600))
    (tmp_path / "bad.wav").write_bytes(b"not audio at all")
    (tmp_path / "m.csv").write_text("path,label\ngood.wav,a\nbad.wav,b\nlost.wav,a\n")
    result = run("prepare", f"--manifest={tmp_path / 'm.csv'}", f"--out={tmp_path / 'out'}")
    assert result.returncode == 0, result.stderr
    assert "1 clips in 1 shards" in result.stdout and "2 skipped" in result.stdout
    assert "bad.wav" in result.stdout and "lost.wav" in result.stdout


def test_encoders_table():
    result = run("encoders")
    assert result.returncode == 0 and "| logmel_conv_tiny | baseline |" in result.stdout


def test_demo_runs_on_tiny_corpus(tmp_path):
    result = run("demo", "--size=tiny", "--probe_steps=30", "--pretrain_steps=4", "--batch_size=8",
                 f"--work_dir={tmp_path}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "| logmel |" in result.stdout and "| logmel_conv_tiny (random init) |" in result.stdout
    assert "| logmel_conv_tiny + SimCLR |" in result.stdout and "all checks passed: True" in result.stdout
    assert "| nf_slowfast_tiny_fine_std_logmel-distill-open-audio (published) |" in result.stdout     # the zoo's default
    assert (tmp_path / "exports" / "logmel_conv_tiny_simclr" / "MODEL_CARD.md").exists()
    assert (tmp_path / "report" / "scores.png").exists()
    with open(tmp_path / "demo_results.json") as f:
        results = json.load(f)
    # Reference means (%) of this exact command, seed 0. The published encoder, the random-init twin
    # and log-mel are deterministic: 0.05 points. Four multi-threaded SimCLR steps are not bitwise
    # reproducible on CPU, and one tiny test clip moves a task by 10-20 points: 5 points on the mean.
    reference = {"nf_slowfast_tiny_fine_std_logmel-distill-open-audio (published)": (58.47, 0.05),
                 "logmel_conv_tiny (random init)": (42.92, 0.05), "logmel": (34.58, 0.05),
                 "logmel_conv_tiny + SimCLR": (44.4, 5.0)}      # five runs: 42.6 to 46.0
    for model, (score, tolerance) in reference.items():
        assert set(results[model]["tasks"]) == {"env_scene", "env_events", "speech_vowel",
                                                "speech_keyword", "music_pitch", "music_instrument"}
        assert abs(results[model]["score"] - score) <= tolerance, (model, results[model]["score"])


def test_an_internal_error_keeps_its_traceback_and_a_user_error_is_one_line(tmp_path):
    """The subcommands catch ZooError (what a user can fix) and nothing else."""
    code = ("import sys, zoo.export\n"
            "def bug(*args, **kwargs):\n    raise RuntimeError('internal bug')\n"
            "zoo.export.export_encoder = bug\n"
            "from zoo.cli.main import run\n"
            f"sys.exit(run(['hares-zoo', 'export', '--encoder=logmel', '--out={tmp_path / 'a'}']))\n")
    bug = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert bug.returncode == 1 and "Traceback" in bug.stderr and "RuntimeError: internal bug" in bug.stderr
    user = run("export", "--encoder=no_such_encoder", f"--out={tmp_path / 'b'}")
    assert user.returncode == 1 and "Traceback" not in user.stderr
    assert "hares-zoo export: unknown encoder name 'no_such_encoder'" in user.stderr


def test_a_cpu_machine_sees_no_cuda_error_line():
    """On a machine without NVIDIA's driver TensorFlow logs `failed call to cuInit` at its first op;
    `import zoo` quiets that probe unless the user chose TF_CPP_MIN_LOG_LEVEL (then theirs stands)."""
    import ctypes.util
    assert ctypes.util.find_library("cuda") is None, "this test describes a machine without a GPU driver"
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    code = "import zoo, tensorflow as tf; print(int(tf.constant(2) + 1))"
    quiet = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert quiet.stdout.strip() == "3" and "cuInit" not in quiet.stderr
    chosen = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                            env={**env, "TF_CPP_MIN_LOG_LEVEL": "0"})
    assert chosen.stdout.strip() == "3" and "failed call to cuInit" in chosen.stderr
