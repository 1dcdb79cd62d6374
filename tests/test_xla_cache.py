"""The opt-in persistent XLA compilation cache: off by default, so a correct probe prints no error
lines; turned on, compiled probe loops land in `<cache>/xla/` and a second process reads them back;
a user's own flag is respected. Each case runs in a fresh interpreter: TensorFlow reads
`TF_XLA_FLAGS` once per process."""

import os
import subprocess
import sys

PROBE = """
import os, sys, numpy as np
from zoo import xla_cache
print("folder", xla_cache.enable())
from zoo.hares.linear_probe import ProbeSettings, fit_and_score
rng = np.random.default_rng(0)
x = rng.standard_normal((40, 8)).astype(np.float32); y = np.eye(2, dtype=np.float32)[(x[:, 0] > 0).astype(int)]
print("score", fit_and_score(x, y, x, y, np.arange(40).astype(str), ProbeSettings(steps=300, peak_learning_rate=1e-2)))
"""


def _run(cache, **env):
    full = {k: v for k, v in os.environ.items() if k not in ("TF_XLA_FLAGS", "HARES_ZOO_XLA_CACHE")}
    full.update(HARES_ZOO_CACHE=str(cache), TF_CPP_MIN_LOG_LEVEL="3", **env)
    out = subprocess.run([sys.executable, "-c", PROBE], env=full, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    result = dict(line.split(" ", 1) for line in out.stdout.splitlines() if line.startswith(("folder", "score")))
    result["errors"] = [line for line in out.stderr.splitlines() if line.startswith("E0000")]
    return result


def test_a_probe_run_twice_prints_no_error_lines(tmp_path):
    full = {k: v for k, v in os.environ.items() if k not in ("TF_XLA_FLAGS", "HARES_ZOO_XLA_CACHE", "TF_CPP_MIN_LOG_LEVEL")}
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", PROBE], env=dict(full, HARES_ZOO_CACHE=str(tmp_path)),
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        # TensorFlow's own "failed call to cuInit" (a CUDA build without a GPU) is not the zoo's line.
        cache_lines = [line for line in out.stderr.splitlines() if line.startswith("E0000") and "cuInit" not in line]
        assert cache_lines == [] and "folder None" in out.stdout
    assert not (tmp_path / "xla").exists()


def test_compiled_loop_is_written_then_reused(tmp_path):
    first = _run(tmp_path, HARES_ZOO_XLA_CACHE="1")
    from zoo.xla_cache import machine_key
    folder = tmp_path / "xla" / machine_key()            # one subfolder per processor and TensorFlow version
    assert first["folder"] == str(folder)
    programs = sorted(os.listdir(folder))
    assert programs and all(p.endswith(".pb") for p in programs)
    second = _run(tmp_path, HARES_ZOO_XLA_CACHE="1")
    assert sorted(os.listdir(folder)) == programs          # read back, nothing recompiled
    assert second["score"] == first["score"] and float(first["score"]) > 0.9


def test_switch_off_and_user_flag_are_respected(tmp_path):
    off = _run(tmp_path / "off", HARES_ZOO_XLA_CACHE="0")
    assert off["folder"] == "None" and not (tmp_path / "off" / "xla").exists()
    assert _run(tmp_path / "default")["folder"] == "None"
    mine = tmp_path / "mine"
    user = _run(tmp_path / "user", HARES_ZOO_XLA_CACHE="1", TF_XLA_FLAGS=f"--tf_xla_persistent_cache_directory={mine}")
    assert user["folder"] == "None" and os.listdir(mine) and not (tmp_path / "user" / "xla").exists()


def test_machine_key_names_the_processor_and_tensorflow(monkeypatch):
    from importlib import metadata

    from zoo import xla_cache
    assert xla_cache.key_of("x86_64||avx2 fma sse4_2|2.21.0") == "2162e6966afd"    # sha256, 12 hex digits
    monkeypatch.setattr(xla_cache.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(xla_cache.platform, "processor", lambda: "")
    key = xla_cache.machine_key()
    assert key == xla_cache.machine_key()
    monkeypatch.setattr(xla_cache.platform, "machine", lambda: "aarch64")
    assert xla_cache.machine_key() != key                  # another architecture: another folder
    monkeypatch.setattr(xla_cache.platform, "machine", lambda: "x86_64")
    real = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: "0.0.0" if name == "tensorflow" else real(name))
    assert xla_cache.machine_key() != key                  # another TensorFlow: another folder
