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
    np.testing.assert_allclose(many["loss"], one["loss"], rtol=5e-4)   # later steps: float sums in another order per device (1.8e-4 measured on one CPU)

    def update(result, prefix, start):
        return np.concatenate([(result[prefix + k[1:]] - start[k]).ravel() for k in init])
    start = np.load(os.path.join(os.path.dirname(one.fid.name), "init.npz"))
    first = update(one, "first", start), update(many, "first", start)
    last = update(one, "w", start), update(many, "w", start)
    assert np.linalg.norm(first[0] - first[1]) <= 5e-4 * np.linalg.norm(first[0])
    assert np.linalg.norm(last[0] - last[1]) <= 1e-2 * np.linalg.norm(last[0])


@pytest.fixture(scope="module")
def one_device(tmp_path_factory):
    """objective -> (its folder, the one-device run): run once per objective, its folder's init.npz
    the starting point of every strategy compared with it."""
    runs = {}

    def get(objective):
        if objective not in runs:
            folder = tmp_path_factory.mktemp(objective)
            runs[objective] = folder, _run(objective, "one", folder)
        return runs[objective]
    return get


@pytest.mark.parametrize("objective", sorted(OBJECTIVES))
def test_mirrored_on_two_devices_equals_one_device(objective, one_device):
    folder, one = one_device(objective)
    _compare(one, _run(objective, "mirrored", folder), replicas=2)


@pytest.mark.parametrize("objective", sorted(OBJECTIVES))
def test_two_local_workers_equal_one_device(objective, one_device):
    folder, one = one_device(objective)
    _compare(one, _two_workers(objective, folder), replicas=2)


def test_a_run_on_a_non_posix_filesystem_completes_resumes_and_exports(tmp_path):
    """Shards written by `prepare_shards` and the run folder both on TensorFlow's in-memory `ram://`
    filesystem (what gs:// is to a TPU pod): the run completes, resumes from its checkpoint after the
    last one is lost, and exports to a local folder."""
    code = f"""
import numpy as np, tensorflow as tf
from zoo.data.audio_io import write_wav
from zoo.data.prepare import prepare_shards
from zoo.pretrain import PretrainConfig, pretrain
from zoo.export import export_encoder
rng = np.random.default_rng(0)
lines = ["path,label,split"]
for i in range(12):
    write_wav("{tmp_path}/clip%d.wav" % i, rng.uniform(-0.3, 0.3, 12000))
    lines.append("clip%d.wav,%s,train" % (i, "ab"[i % 2]))
open("{tmp_path}/manifest.csv", "w").write("\\n".join(lines) + "\\n")
report = prepare_shards("{tmp_path}/manifest.csv", "ram://shards", clips_per_shard=4, workers=1, progress=False)
print("shards", sorted(tf.io.gfile.listdir("ram://shards")))
cfg = PretrainConfig(encoder="logmel_conv_tiny", objective="simclr", shards="ram://shards", model_dir="ram://run",
                     crop_seconds=0.5, batch_size=4, steps=4, warmup_steps=1, projector_hidden=(16,),
                     projection_size=8, checkpoint_every=2, keep_checkpoints=2, snapshot_every=2, verbose=0)
first = pretrain(cfg)
print("steps", first["steps"], sorted(tf.io.gfile.listdir("ram://run")))
for name in tf.io.gfile.glob("ram://run/checkpoints/ckpt-4*"):
    tf.io.gfile.remove(name)                                   # the last checkpoint is lost
with tf.io.gfile.GFile("ram://run/checkpoints/checkpoint.new", "w") as f:
    f.write('model_checkpoint_path: "ckpt-2"\\nall_model_checkpoint_paths: "ckpt-2"\\n')
tf.io.gfile.rename("ram://run/checkpoints/checkpoint.new", "ram://run/checkpoints/checkpoint", overwrite=True)
second = pretrain(cfg)
print("resumed", second["steps"], len(second["history"].get("loss", [])))
facts = export_encoder("logmel_conv_tiny", "{tmp_path}/export", checkpoint="ram://run", quantizations=(),
                       progress=lambda _: None)
print("exported", facts["parity"]["passed"], facts["training"]["steps"])
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=_env())
    assert done.returncode == 0, done.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    assert lines["shards"] == ("['dataset_info.json', 'train-00000-of-00003.tfrecord', 'train-00000-of-00003.tfrecord.json', "
                               "'train-00001-of-00003.tfrecord', 'train-00001-of-00003.tfrecord.json', "
                               "'train-00002-of-00003.tfrecord', 'train-00002-of-00003.tfrecord.json']")
    assert lines["steps"] == "4 ['checkpoints', 'encoder.keras', 'logs', 'pretrain_config.json', 'snapshots']"
    assert lines["resumed"] == "4 1"                          # steps 3-4 again, one epoch of history
    assert lines["exported"] == "True 4"


def test_a_model_dir_that_cannot_be_written_stops_before_step_one(tmp_path):
    from zoo.errors import ConfigError
    from zoo.pretrain.run import make_run_folder
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match=f"--model_dir={blocker}/run is not writable"):
        make_run_folder(str(blocker / "run"))
