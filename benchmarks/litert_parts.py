"""How close each LiteRT file of an export is to its SavedModel, on the whole embedding and on each of
its parts, on real clips of sources the weights never saw.

An encoder served with `log_mel_stats=True` ends its embedding with the clip's log-mel mean and
standard deviation (160 numbers whose magnitudes dwarf the network's), so a cosine over the whole
vector says little about the network: this script reports the minimum and mean cosine to the
SavedModel over the whole embedding, over the network's dimensions and over the statistics.

    hares-zoo prepare --corpus=cross-source
    python benchmarks/litert_parts.py                               # the default published encoder
    python benchmarks/litert_parts.py --model=exports/my_encoder --clips=40
"""

import glob
import json
import os

from absl import app, flags

FLAGS = flags.FLAGS
flags.DEFINE_string("model", None, "A published name or an export folder (default: zoo.DEFAULT_PUBLISHED).")
flags.DEFINE_integer("clips", 80, "Real clips drawn (seed 0) from the cross-source corpus's audio; silent "
                     "or shorter than 0.5 s ones are left out.")
flags.DEFINE_float("seconds", 3.0, "Each clip's first seconds are embedded.")


def _clips(count, seconds):
    """Up to `count` float32 16-kHz mono clips of the cross-source corpus's audio, seed 0."""
    import numpy as np

    from zoo.cache import cache_dir
    from zoo.data.audio_io import read_audio
    from zoo.errors import AudioFileError
    root = cache_dir("cross-source", "audio")
    files = sorted(f for f in glob.glob(os.path.join(root, "**", "*"), recursive=True) if os.path.isfile(f))
    if not files:
        raise SystemExit(f"no audio under {root}: run `hares-zoo prepare --corpus=cross-source` first")
    picked = np.random.default_rng(0).choice(len(files), size=min(count, len(files)), replace=False)
    clips, left_out = [], 0
    for index in picked:
        try:
            audio = read_audio(files[index], end=seconds)
        except AudioFileError:                 # an unreadable file is counted, not fatal
            left_out += 1
            continue
        if len(audio) < 8000 or np.abs(audio).max() < 1e-4:
            left_out += 1
            continue
        clips.append(audio.astype(np.float32))
    return clips, left_out


def _cosines(got, want):
    import numpy as np
    return float(np.sum(got * want) / np.linalg.norm(got) / np.linalg.norm(want))


def main(argv):
    del argv
    import numpy as np
    import tensorflow as tf
    import tensorflow_hub as hub

    import zoo
    from zoo.export.tflite import LiteRTEncoder
    name = FLAGS.model or zoo.DEFAULT_PUBLISHED
    folder = name if os.path.isdir(name) else zoo.published_path(name)
    card = json.load(open(os.path.join(folder, "model_card.json")))
    config = card["config"]
    size = card["embedding_size"]
    split = size - 2 * config.get("n_mels", 80) if config.get("log_mel_stats") else size
    parts = {"whole": slice(0, size), "network": slice(0, split)}
    if split < size:
        parts["log-mel statistics"] = slice(split, size)
    clips, left_out = _clips(FLAGS.clips, FLAGS.seconds)
    print(f"{name}: {len(clips)} real cross-source clips ({left_out} silent, short or unreadable left out); "
          f"embedding {size} = network {split}" + (f" + statistics {size - split}" if split < size else ""))
    saved = hub.load(folder)
    wanted = [saved(tf.constant(c[None]))["embedding"].numpy()[0] for c in clips]
    for path in sorted(glob.glob(os.path.join(folder, "tflite", "encoder_*.tflite"))):
        lite = LiteRTEncoder(path)
        got = [lite.run(c[None])["embedding"][0] for c in clips]
        cells = []
        for part, where in parts.items():
            values = np.array([_cosines(g[where], w[where]) for g, w in zip(got, wanted)])
            cells.append(f"{part} {values.min():.4f} / {values.mean():.4f}")
        print(f"{os.path.basename(path)}: min / mean cosine to the SavedModel: " + "; ".join(cells))


if __name__ == "__main__":
    app.run(main)
