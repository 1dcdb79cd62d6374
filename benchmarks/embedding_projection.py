"""2-D PCA projection of clip embeddings coloured by label, for any model the probe accepts
(registry name, .keras file or exported SavedModel folder), on mini-HARES test clips.

    python benchmarks/embedding_projection.py --model=logmel_conv_tiny --out=benchmarks/embedding_projection.png
    python benchmarks/embedding_projection.py --model=exports/sf_tiny --task=music_instrument

Embeddings are standardised per dimension before PCA; the title gives the nearest-centroid
accuracy in the full embedding space, a number that goes with the picture.
"""

import os

from absl import app, flags

flags.DEFINE_list("model", ["logmel_conv_tiny"], "Models to draw side by side (names, .keras, SavedModel folders).")
flags.DEFINE_string("task", "env_scene", "mini-HARES task whose classes colour the points.")
flags.DEFINE_integer("clips_per_class", 20, "Test clips per class.")
flags.DEFINE_string("out", "embedding_projection.png", "Output PNG.")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import tensorflow as tf

    from zoo.data import minihares
    from zoo.hares.models import load_probe_model
    task = minihares.get_task(FLAGS.task)
    clips, labels = [], []
    for label in task.classes:
        for i in range(FLAGS.clips_per_class):
            clips.append(minihares.synthesize(task.name, label, "test", i))
            labels.append(label)
    labels = np.array(labels)
    fig, axes = plt.subplots(1, len(FLAGS.model), figsize=(4.6 * len(FLAGS.model), 4), squeeze=False)
    for ax, spec in zip(axes[0], FLAGS.model):
        model = load_probe_model(spec)
        x = np.concatenate([model(tf.constant(np.stack(clips[i:i + 32])), training=False)["embedding"].numpy()
                            for i in range(0, len(clips), 32)])
        x = (x - x.mean(0)) / (x.std(0) + 1e-8)
        _, _, vt = np.linalg.svd(x, full_matrices=False)
        points = x @ vt[:2].T
        centroids = {label: x[labels == label].mean(0) for label in task.classes}
        predicted = np.array([min(centroids, key=lambda c: np.linalg.norm(row - centroids[c])) for row in x])
        for label in task.classes:
            ax.scatter(*points[labels == label].T, s=14, label=label)
        ax.set_title(f"{os.path.basename(os.path.normpath(spec))}\nnearest-centroid accuracy "
                     f"{np.mean(predicted == labels):.2f}", fontsize=9)
        ax.set_xticks([]), ax.set_yticks([])
    axes[0][-1].legend(fontsize=7, loc="best")
    fig.suptitle(f"mini-HARES {task.name}: PCA of clip embeddings", fontsize=10)
    fig.tight_layout()
    fig.savefig(FLAGS.out, dpi=110)
    print(f"wrote {FLAGS.out}")


if __name__ == "__main__":
    app.run(main)
