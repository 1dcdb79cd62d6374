"""`hares-zoo demo`: the main job on the embedded default.

Generates the mini-HARES corpus (deterministic, synthetic), shards it, and scores encoders with a
frozen-encoder linear probe on its six tasks; prints a Markdown table and writes it as JSON.
"""

import json
import os
import time

from absl import flags

FLAGS = flags.FLAGS
flags.DEFINE_string("work_dir", None, "Where the corpus, shards and results go (default: the cache "
                    "folder, $HARES_ZOO_CACHE or ~/.cache/hares-zoo, under demo/).")
flags.DEFINE_enum("size", "default", ["tiny", "small", "default"], "mini-HARES size: tiny (tests), "
                  "small, default (about 3,000 s of audio, 1 to 2 minutes to generate and shard).")
flags.DEFINE_list("encoders", ["logmel", "logmel_conv_tiny"], "Registered encoders to score "
                  "(random initialisation for learned ones).")
flags.DEFINE_integer("probe_steps", 1500, "Linear-probe training steps per task (batch 64).")
flags.DEFINE_integer("seed", 0, "Seed of the corpus and of the probe.")


def main(argv):
    del argv
    import zoo
    from zoo.cache import cache_dir
    from zoo.hares import mini
    from zoo.hares.linear_probe import ProbeSettings

    work = FLAGS.work_dir or cache_dir("demo", FLAGS.size)
    start = time.time()
    print(f"[1/2] mini-HARES ({FLAGS.size}) -> {work}")
    folders = mini.prepare_minihares(work, FLAGS.size, FLAGS.seed)
    print(f"      corpus and shards ready in {time.time() - start:.0f} s")
    print(f"[2/2] linear probe on frozen encoders: {', '.join(FLAGS.encoders)}")
    settings = ProbeSettings(steps=FLAGS.probe_steps, seed=FLAGS.seed)
    results = {name: mini.score_minihares(zoo.create_encoder(name), folders, settings=settings)
               for name in FLAGS.encoders}
    table = mini.markdown_table(results)
    print("\nmini-HARES accuracy (%) per task, domain means and the plain mean over tasks:\n")
    print(table)
    out = os.path.join(work, "demo_results.json")
    with open(out, "w") as f:
        json.dump({n: {"tasks": s, **mini.summarize(s)} for n, s in results.items()}, f, indent=1)
    print(f"\nwrote {out}; total {time.time() - start:.0f} s")
