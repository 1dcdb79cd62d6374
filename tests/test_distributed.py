"""Every objective is the same computation on one device and on several: a few steps on the same
global batch from the same weights, under `MirroredStrategy` on two logical CPU devices and under
`MultiWorkerMirroredStrategy` with two local workers, against one device (tests/distributed_helper.py).

Tolerances: the first step's loss within 1e-5 (relative) and its update, i.e. its gradient, within
5e-4 of the one-device update's norm; after three steps, losses within 1e-4 and weight updates within
1e-2. Those are float32 rounding: the same one-device step with TensorFlow's own kernels instead of
oneDNN's differs from itself by 4.9e-5 in the gradient's norm, and chaotic growth over steps does the
rest. Clipping each replica's gradient before the sum (what AGC did before) puts SimCLR's first
update 7.3e-2 of its norm away; BYOL's target update failed outright with two replicas."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

HELPER = os.path.join(os.path.dirname(__file__), "distributed_helper.py")
OBJECTIVES = {"simclr": "0.01", "byol": "0.01", "distill": "0", "supervised": "0.01"}    # AGC clip per objective


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    return dict(env, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="-1", **extra)


def _run(objective, kind, folder, env=None):
    out = folder / f"{kind}.npz"
    done = subprocess.run([sys.executable, HELPER, objective, kind, str(folder / "init.npz"), str(out),
                           OBJECTIVES[objective]], capture_output=True, text=True, timeout=600, env=env or _env())
    assert done.returncode == 0, done.stderr[-3000:]
    return np.load(out)


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _two_workers(objective, folder):
    cluster = {"worker": [f"localhost:{p}" for p in _free_ports(2)]}
    processes = []
    for index in range(2):
        env = _env(TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}))
        processes.append(subprocess.Popen([sys.executable, HELPER, objective, "multi_worker", str(folder / "init.npz"),
                                           str(folder / "multi_worker.npz"), OBJECTIVES[objective]],
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env))
    for process in processes:
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err[-3000:]
    return np.load(folder / "multi_worker.npz")


def _compare(one, many, replicas):
    assert int(many["replicas"]) == replicas
    init = [k for k in one.files if k.startswith("w")]
    assert one["loss"][0] == pytest.approx(many["loss"][0], rel=1e-5)
    np.testing.assert_allclose(many["loss"], one["loss"], rtol=1e-4)

    def update(result, prefix, start):
        return np.concatenate([(result[prefix + k[1:]] - start[k]).ravel() for k in init])
    start = np.load(os.path.join(os.path.dirname(one.fid.name), "init.npz"))
    first = update(one, "first", start), update(many, "first", start)
    last = update(one, "w", start), update(many, "w", start)
    assert np.linalg.norm(first[0] - first[1]) <= 5e-4 * np.linalg.norm(first[0])
    assert np.linalg.norm(last[0] - last[1]) <= 1e-2 * np.linalg.norm(last[0])


@pytest.mark.parametrize("objective", sorted(OBJECTIVES))
def test_mirrored_on_two_devices_equals_one_device(objective, tmp_path):
    one = _run(objective, "one", tmp_path)
    _compare(one, _run(objective, "mirrored", tmp_path), replicas=2)


@pytest.mark.parametrize("objective", sorted(OBJECTIVES))
def test_two_local_workers_equal_one_device(objective, tmp_path):
    one = _run(objective, "one", tmp_path)
    _compare(one, _two_workers(objective, tmp_path), replicas=2)
