"""The repository stays something a clone can carry: `training/` holds runs in flight and the final
encoders the docs cite (under 40 MB in all), and no tracked file is over 16 MiB (the checkpoint
limit of docs/pretraining.md, "Runs longer than one session")."""

import os
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
MIB = 1 << 20


def _tracked_files():
    try:
        listing = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.fail("the repository tests need git and a checkout")
    return [os.path.join(ROOT, p) for p in listing.decode().split("\0") if p]


def test_training_folder_is_under_40_mb_and_no_file_is_over_16_mib():
    sizes = {path: os.path.getsize(path) for path in _tracked_files() if os.path.isfile(path)}
    training = sum(size for path, size in sizes.items()
                   if os.path.relpath(path, ROOT).startswith("training" + os.sep))
    assert 0 < training < 40e6, f"training/ holds {training / 1e6:.1f} MB"
    large = {os.path.relpath(p, ROOT): round(s / MIB, 1) for p, s in sizes.items() if s > 16 * MIB}
    assert not large, f"tracked files over 16 MiB: {large}"


def test_training_holds_no_intermediate_snapshots():
    snapshots = [os.path.relpath(p, ROOT) for p in _tracked_files()
                 if os.path.relpath(p, ROOT).startswith("training" + os.sep) and "encoder-step" in os.path.basename(p)]
    assert not snapshots, f"scored snapshots are removed once their scores are in the run record: {snapshots}"
