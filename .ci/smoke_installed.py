"""What a user of the installed wheel runs first, checked in a fresh venv outside the checkout (CI
stage D, at both ends of the supported TensorFlow range): TF-Hub, `zoo.load()` on a WAV file,
LiteRT, a full-integer export, the pretrained Keras model, one probe task, the attribution beside
the weights."""

import importlib.metadata as metadata
import os
import subprocess
import sys
import tempfile

import numpy as np
import soundfile
import tensorflow as tf
import tensorflow_hub as hub      # imports pkg_resources: needs setuptools < 81 in the venv

import zoo
from zoo.workflows.licences import read_attribution

assert "site-packages" in zoo.__file__, f"zoo imported from {zoo.__file__}, not from the installed wheel"
print("Python", sys.version.split()[0], "| tensorflow", tf.__version__, "| keras", metadata.version("keras"),
      "| tensorflow-hub", metadata.version("tensorflow-hub"), "| setuptools", metadata.version("setuptools"))

clip = (0.3 * np.sin(2 * np.pi * 330 * np.arange(30_211) / 22_050)).astype(np.float32)     # 1.37 s at 22.05 kHz
folder = tempfile.mkdtemp()
wav = os.path.join(folder, "tone.wav")
soundfile.write(wav, clip, 22_050)

served = hub.load(zoo.published_path(zoo.DEFAULT_PUBLISHED))
at_16k = zoo.load(door="saved_model").embed_file(wav)
fast = zoo.load()
assert fast.door == "litert", fast
from_file = fast.embed_file(wav)
assert from_file["embedding"].shape == (fast.embedding_size,) and np.all(np.isfinite(from_file["embedding"]))
assert np.allclose(from_file["embedding"], at_16k["embedding"], atol=1e-5 * np.abs(at_16k["embedding"]).max())
waveform = np.asarray(zoo.data.audio_io.read_audio(wav, 16_000))[None]
hub_embedding = served(tf.constant(waveform))["embedding"].numpy()[0]
assert np.allclose(hub_embedding, at_16k["embedding"], atol=1e-5 * np.abs(hub_embedding).max())
print("hub.load, zoo.load (LiteRT) and zoo.load (SavedModel) agree on a 1.37-s 22.05-kHz WAV")

from zoo.export.tflite import LiteRTEncoder
int8 = LiteRTEncoder(os.path.join(zoo.published_path(zoo.DEFAULT_PUBLISHED), "tflite", "encoder_int8_dynamic.tflite"))
assert int8.run(waveform)["embedding"].shape == (1, fast.embedding_size)

clips = os.path.join(folder, "clips")          # a representative set of real-like clips: 4 calibrate, 3 are held out
os.makedirs(clips)
for k in range(7):
    soundfile.write(os.path.join(clips, f"{k}.wav"), np.resize(clip * (1 + k) / 8, 40_000), 16_000)
export = subprocess.run([sys.executable, "-m", "zoo.cli.main", "export", "--encoder=logmel_conv_tiny",
                         "--tflite=float32,int8", f"--representative={clips}", f"--out={folder}/int8"],
                        capture_output=True, text=True, timeout=900, env=dict(os.environ, HARES_ZOO_CACHE=f"{folder}/cache"))
assert export.returncode == 0 and "LiteRT int8 on 3 real clips of" in export.stdout, (export.stdout + export.stderr)[-3000:]
full = LiteRTEncoder(os.path.join(folder, "int8", "tflite", "encoder_int8.tflite"))
assert full.run(waveform)["embedding"].shape == (1, 128)
print("hares-zoo export --tflite=int8 writes a full-integer file calibrated on a folder of WAVs")

keras_model = zoo.create_encoder(weights=zoo.DEFAULT_PUBLISHED)
mine = keras_model(waveform)["embedding"].numpy()[0]
assert np.allclose(mine, hub_embedding, atol=1e-5 * np.abs(hub_embedding).max())
print("zoo.create_encoder(weights=zoo.DEFAULT_PUBLISHED):", keras_model.count_params(), "parameters, matches hub.load")

rows = read_attribution(zoo.published_path(zoo.DEFAULT_PUBLISHED))
assert len(rows) > 1000 and {"package", "licence", "path"} <= set(rows[0]), len(rows)
print("attribution beside the weights:", len(rows), "training files")

probe = subprocess.run([sys.executable, "-m", "zoo.cli.main", "probe", "--model=logmel_stats", "--tasks=env_scene",
                        "--size=tiny", "--probe_steps=200", f"--out={folder}/probe", "--paired_against="],
                       capture_output=True, text=True, timeout=900, env=dict(os.environ, HARES_ZOO_CACHE=f"{folder}/cache"))
assert probe.returncode == 0 and "| logmel_stats |" in probe.stdout, probe.stderr[-3000:]
print(probe.stdout.strip().splitlines()[-1] if probe.stdout.strip() else "")
print("smoke: all checks passed")
