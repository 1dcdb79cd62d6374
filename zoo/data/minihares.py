"""mini-HARES: a small, deterministic, synthetic stand-in for the HARES benchmark.

No data set can be downloaded where this project is built and tested, so the embedded default
corpus is generated here, in pure NumPy, from a seed. It mirrors HARES's three domains with six
labelled tasks plus an unlabelled pool for pretraining:

| task             | domain      | classes | clip | crop | what a probe must hear                          |
|------------------|-------------|---------|------|------|-------------------------------------------------|
| env_scene        | environment | 5       | 2 s  | 1 s  | noise textures: rain, wind, hum, babble, engine |
| env_events       | environment | 4       | 2 s  | 2 s  | rate of impulsive events (1, 3, 6, 12 per s)    |
| speech_vowel     | speech      | 5       | 1 s  | 1 s  | formant vowel a/e/i/o/u over varying F0         |
| speech_keyword   | speech      | 6       | 1 s  | 1 s  | a three-syllable "keyword" (order matters)      |
| music_pitch      | music       | 12      | 1 s  | 1 s  | pitch class of a harmonic tone, any octave      |
| music_instrument | music       | 5       | 1 s  | 1 s  | timbre family: pluck, bowed, reed, flute, bell  |

Train and test splits differ in nuisance factors, so a probe must generalise rather than match:
loudness and noise ranges (test: wider level range, lower SNR), speaker range (test voices have
higher F0 and shorter vocal tracts), note range (instrument test notes sit higher), timbre
(pitch test tones are darker and more detuned), scene hum at 60 Hz instead of 50 Hz, event
brightness. Every clip comes from its own generator `default_rng([seed, task, split, index])`, so
the corpus is identical on every machine and independent of generation order.

Files: `<root>/<task>/<split>/<label>/<index>.wav` (16-bit, 16 kHz) with `<root>/<task>/manifest.csv`,
`<root>/pool/manifest.csv` (unlabelled), and `<root>/minihares.json` (tasks, sizes, seed).
"""

import concurrent.futures
import dataclasses
import json
import multiprocessing
import os

import numpy as np

from zoo import audio_constants as ac
from zoo.data import synth
from zoo.data.audio_io import write_wav
from zoo.data.manifest import write_manifest
from zoo.errors import ConfigError, UnknownNameError

SR = ac.SAMPLE_RATE
SPLITS = ("train", "test")
# Nuisance ranges per split: RMS level (dBFS) and SNR (dB) of added pink noise.
LEVEL_DBFS = {"train": (-26.0, -14.0), "test": (-36.0, -8.0)}
SNR_DB = {"train": (25.0, 40.0), "test": (10.0, 30.0)}
# Clips per class (train, test) and unlabelled pool size, per corpus size.
SIZES = {"tiny": (3, 2, 12), "small": (16, 8, 120), "default": (40, 20, 400)}


@dataclasses.dataclass(frozen=True)
class MiniTask:
    name: str
    domain: str
    classes: tuple
    clip_seconds: float
    crop_seconds: float
    metric: str = "accuracy"


TASKS = (
    MiniTask("env_scene", "environment", ("rain", "wind", "hum", "babble", "engine"), 2.0, 1.0),
    MiniTask("env_events", "environment", ("rate1", "rate3", "rate6", "rate12"), 2.0, 2.0),
    MiniTask("speech_vowel", "speech", ("a", "e", "i", "o", "u"), 1.0, 1.0),
    MiniTask("speech_keyword", "speech", ("aiu", "uia", "eoa", "oae", "iie", "uuo"), 1.0, 1.0),
    MiniTask("music_pitch", "music",
             ("C", "Cs", "D", "Ds", "E", "F", "Fs", "G", "Gs", "A", "As", "B"), 1.0, 1.0),
    MiniTask("music_instrument", "music", ("pluck", "bowed", "reed", "flute", "bell"), 1.0, 1.0),
)
TASK_NAMES = tuple(t.name for t in TASKS)

# Peterson & Barney-style formants (F1, F2, F3) in Hz for an adult male voice.
FORMANTS = {"a": (730, 1090, 2440), "e": (530, 1840, 2480), "i": (270, 2290, 3010),
            "o": (570, 840, 2410), "u": (300, 870, 2240)}


def get_task(name):
    for task in TASKS:
        if task.name == name:
            return task
    raise UnknownNameError(f"unknown mini-HARES task {name!r}; tasks: {', '.join(TASK_NAMES)}")


# ----- generators: (rng, class name, split, samples) -> float64 waveform ---------------------------

def _scene(rng, label, split, n):
    if label == "rain":
        x = synth.spectral_noise(rng, n, lambda f: np.clip((f - 500.0) / 3000.0, 0, 1))
        for _ in range(int(rng.integers(20, 60) * n / SR)):
            at, length = int(rng.integers(0, n - 200)), int(rng.integers(60, 200))
            x[at:at + length] += 3.0 * synth.click(rng, length, rng.uniform(0.6, 1.0))
    elif label == "wind":
        t = np.arange(n) / SR
        gust = 1.0 + 0.8 * np.sin(2 * np.pi * rng.uniform(0.3, 1.0) * t + rng.uniform(0, 6.28))
        x = synth.spectral_noise(rng, n, lambda f: 1.0 / (1.0 + (f / rng.uniform(150, 400)) ** 2)) * gust
    elif label == "hum":
        base = 50.0 if split == "train" else 60.0
        x = synth.harmonic_tone(rng, n, base, rng.uniform(0.2, 1.0, 8)) + 0.3 * synth.colored_noise(rng, n, 1.0)
    elif label == "babble":
        t = np.arange(n) / SR
        am = np.abs(np.sin(2 * np.pi * rng.uniform(3.0, 6.0) * t + rng.uniform(0, 6.28))) ** 2
        x = synth.band_noise(rng, n, 300.0, 3400.0) * (0.3 + am)
    else:  # engine
        rate = rng.uniform(25.0, 45.0) if split == "train" else rng.uniform(35.0, 60.0)
        x = synth.resonate(synth.pulse_train(rng, n, rate, jitter=0.05), [120.0, 400.0], [150.0, 300.0])
        x = x / (np.std(x) + 1e-12) + 0.2 * synth.colored_noise(rng, n, 2.0)
    return x


def _events(rng, label, split, n):
    count = int(round(int(label[4:]) * n / SR))
    x = 0.05 * synth.colored_noise(rng, n, 2.0)
    length = 400
    brightness = (0.1, 0.5) if split == "train" else (0.4, 1.0)
    slots = np.linspace(0, n - length, count + 1)[:-1]
    jitter = (n - length) / max(count, 1) * 0.4
    for at in slots:
        at = int(np.clip(at + rng.uniform(0, jitter), 0, n - length))
        x[at:at + length] += synth.click(rng, length, rng.uniform(*brightness))
    return x


def _speaker(rng, split):
    """(F0 in Hz, formant scale): test voices are higher and shorter-tracted than train voices."""
    if split == "train":
        return rng.uniform(90.0, 150.0), rng.uniform(0.95, 1.05)
    return rng.uniform(170.0, 250.0), rng.uniform(1.08, 1.2)


def _vowel(rng, vowel, f0, scale, n):
    source = synth.pulse_train(rng, n, f0)
    formants = np.array(FORMANTS[vowel]) * scale * rng.uniform(0.97, 1.03, 3)
    voiced = synth.resonate(source, formants, [80.0, 100.0, 140.0], [1.0, 0.6, 0.3])
    return voiced * synth.envelope(n, 0.03, release_s=0.05)


def _vowel_clip(rng, label, split, n):
    f0, scale = _speaker(rng, split)
    length = int(rng.uniform(0.45, 0.8) * SR)
    at = int(rng.integers(0, n - length))
    x = np.zeros(n)
    x[at:at + length] = _vowel(rng, label, f0, scale, length)
    return x


def _keyword(rng, label, split, n):
    f0, scale = _speaker(rng, split)
    x = np.zeros(n)
    at = int(rng.uniform(0.02, 0.12) * SR)
    for vowel in label:
        burst = int(0.03 * SR)
        x[at:at + burst] += 0.3 * synth.band_noise(rng, burst, 2000.0, 6000.0) * np.hanning(burst)
        at += burst
        length = int(rng.uniform(0.17, 0.24) * SR)
        x[at:at + length] += _vowel(rng, vowel, f0 * rng.uniform(0.95, 1.05), scale, length)
        at += length + int(rng.uniform(0.0, 0.04) * SR)
    return x


def _pitch(rng, label, split, n):
    pitch_class = get_task("music_pitch").classes.index(label)
    midi = 12 * (int(rng.integers(3, 6)) + 1) + pitch_class
    detune_cents = rng.uniform(-10, 10) if split == "train" else rng.uniform(-25, 25)
    f0 = 440.0 * 2.0 ** ((midi - 69 + detune_cents / 100.0) / 12.0)
    tilt = rng.uniform(0.8, 1.5) if split == "train" else rng.uniform(1.5, 2.5)
    amplitudes = np.arange(1, 13, dtype=float) ** -tilt
    return synth.harmonic_tone(rng, n, f0, amplitudes) * synth.envelope(n, 0.01, rng.uniform(0.3, 1.0))


def _instrument(rng, label, split, n):
    midi = rng.integers(45, 65) if split == "train" else rng.integers(57, 77)
    f0 = 440.0 * 2.0 ** ((midi - 69) / 12.0)
    k = np.arange(1, 21, dtype=float)
    if label == "pluck":
        return synth.harmonic_tone(rng, n, f0, k ** -1.0, inharmonicity=1e-4) \
            * synth.envelope(n, 0.003, rng.uniform(0.08, 0.2))
    if label == "bowed":
        tone = synth.harmonic_tone(rng, n, f0 * (1 + 0.004 * rng.standard_normal()), k ** -1.0)
        return tone * synth.envelope(n, rng.uniform(0.15, 0.3))
    if label == "reed":
        return synth.harmonic_tone(rng, n, f0, np.where(k % 2 == 1, k ** -0.8, 0.05 / k)) \
            * synth.envelope(n, 0.04)
    if label == "flute":
        tone = synth.harmonic_tone(rng, n, f0, [1.0, 0.2, 0.08])
        breath = 0.15 * synth.band_noise(rng, n, f0, min(8 * f0, 7000.0))
        return (tone + breath) * synth.envelope(n, rng.uniform(0.06, 0.12))
    ratios = [1.0, 2.76, 5.40, 8.93, 13.34]  # bell: inharmonic partials of a free bar
    return synth.harmonic_tone(rng, n, f0, [1.0, 0.6, 0.4, 0.25, 0.1], ratios=ratios) \
        * synth.envelope(n, 0.002, rng.uniform(0.3, 0.7))


GENERATORS = {"env_scene": _scene, "env_events": _events, "speech_vowel": _vowel_clip,
              "speech_keyword": _keyword, "music_pitch": _pitch, "music_instrument": _instrument}


def synthesize(task_name, label, split, index, seed=0):
    """One clip of `task_name` with class `label` in `split`: float32 `[clip_samples]` in [-1, 1]."""
    task = get_task(task_name)
    rng = np.random.default_rng([seed, TASK_NAMES.index(task_name), SPLITS.index(split), index])
    n = int(round(task.clip_seconds * SR))
    x = GENERATORS[task_name](rng, label, split, n)
    x = synth.set_level(x, rng.uniform(*LEVEL_DBFS[split]))
    x = synth.add_noise(rng, x, rng.uniform(*SNR_DB[split]))
    return np.clip(x, -1.0, 1.0).astype(np.float32)


def _write_task(args):
    root, task_name, per_class, seed = args
    task = get_task(task_name)
    rows = []
    for split, count in zip(SPLITS, per_class):
        for c, label in enumerate(task.classes):
            for i in range(count):
                rel = f"{split}/{label}/{i:04d}.wav"
                os.makedirs(os.path.join(root, task_name, split, label), exist_ok=True)
                write_wav(os.path.join(root, task_name, rel),
                          synthesize(task_name, label, split, c * count + i, seed))
                rows.append((rel, label, split))
    write_manifest(os.path.join(root, task_name, "manifest.csv"), rows)
    return task_name, len(rows)


def _write_pool(root, count, seed):
    os.makedirs(os.path.join(root, "pool", "audio"), exist_ok=True)
    rows = []
    for i in range(count):
        rng = np.random.default_rng([seed, 99, i])
        task = TASKS[i % len(TASKS)]
        label = task.classes[int(rng.integers(len(task.classes)))]
        rel = f"audio/{i:05d}.wav"
        # Pool clips use the train nuisances and indices disjoint from the labelled train clips.
        write_wav(os.path.join(root, "pool", rel), synthesize(task.name, label, "train", 100_000 + i, seed))
        rows.append((rel, "", "train"))
    write_manifest(os.path.join(root, "pool", "manifest.csv"), rows)
    return len(rows)


def generate(root, size="default", seed=0, workers=2):
    """Write the corpus under `root` (skipped when `root/minihares.json` already matches); returns its info dict."""
    if size not in SIZES:
        raise ConfigError(f"unknown mini-HARES size {size!r}; sizes: {', '.join(SIZES)}")
    train_per_class, test_per_class, pool = SIZES[size]
    info_path = os.path.join(root, "minihares.json")
    if os.path.exists(info_path):
        with open(info_path) as f:
            info = json.load(f)
        if info.get("size") == size and info.get("seed") == seed:
            return info
    os.makedirs(root, exist_ok=True)
    jobs = [(root, t.name, (train_per_class, test_per_class), seed) for t in TASKS]
    if workers > 1:
        with concurrent.futures.ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("spawn")) as ex:
            counts = dict(ex.map(_write_task, jobs))
    else:
        counts = dict(map(_write_task, jobs))
    info = {"size": size, "seed": seed, "sample_rate": SR, "pool_clips": _write_pool(root, pool, seed),
            "tasks": [dict(dataclasses.asdict(t), clips=counts[t.name]) for t in TASKS]}
    with open(info_path, "w") as f:
        json.dump(info, f, indent=1)
    return info
