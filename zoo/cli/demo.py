"""`hares-zoo demo`: the main job on the embedded default, end to end.

1. generate the mini-HARES corpus (deterministic, synthetic) and shard it;
2. pretrain a tiny encoder with SimCLR on its unlabelled pool (resumes if interrupted);
3. export it (SavedModel + LiteRT, verified, with a model card);
4. score, with the frozen-encoder linear probe on the six tasks: the zoo's default published
   encoder (pretrained on real recordings, `zoo/assets/published/`), the freshly exported encoder
   (through the SavedModel contract), the same encoder at random initialisation, and the log-mel
   baseline;
5. print the table and write scores.{md,json,csv,png} and demo_results.json.
"""

import json
import os
import time

from absl import flags

FLAGS = flags.FLAGS
flags.DEFINE_string("work_dir", None, "Where the corpus, shards, runs and results go (default: the cache "
                    "folder, $HARES_ZOO_CACHE or ~/.cache/hares-zoo, under demo/).")
flags.DEFINE_enum("size", "default", ["tiny", "small", "default"], "mini-HARES size: tiny (tests), "
                  "small, default (about 3,000 s of audio).")
flags.DEFINE_string("encoder", "logmel_conv_tiny", "Registered encoder to pretrain and compare with its random init.")
flags.DEFINE_list("baselines", ["logmel"], "Further registered encoders to score as they are.")
flags.DEFINE_list("published", ["DEFAULT"], "Published (pretrained) encoders to score beside them: names from "
                  "zoo.list_published(); DEFAULT is the zoo's default one; empty: none.")
flags.DEFINE_integer("pretrain_steps", 300, "SimCLR steps (0 skips pretraining, export and the pretrained row).")
flags.DEFINE_integer("batch_size", 32, "SimCLR batch size.")
flags.DEFINE_float("learning_rate", 1e-3, "SimCLR peak learning rate (a short schedule for a tiny model).")
flags.DEFINE_integer("probe_steps", 0, "Linear-probe training steps per task (batch 64, peak 2e-4); 0: scaled to the task (100 epochs, at least 20,000).")
flags.DEFINE_integer("seed", 0, "Seed of the corpus, the pretraining and the probe.")


def _pretrain(work, folders):
    import keras

    from zoo.pretrain import PretrainConfig, pretrain
    keras.utils.set_random_seed(FLAGS.seed)
    cfg = PretrainConfig(encoder=FLAGS.encoder, objective="simclr", shards=folders["pool"],
                         model_dir=os.path.join(work, "runs", f"{FLAGS.encoder}_simclr"), crop_seconds=1.0,
                         batch_size=FLAGS.batch_size, steps=FLAGS.pretrain_steps,
                         learning_rate=FLAGS.learning_rate, warmup_steps=max(FLAGS.pretrain_steps // 10, 1),
                         projector_hidden=(512,), projection_size=128,
                         checkpoint_every=max(FLAGS.pretrain_steps // 4, 1), verbose=1, seed=FLAGS.seed)
    pretrain(cfg)
    return cfg.model_dir


def main(argv):
    del argv
    import keras

    import zoo
    from zoo.cache import cache_dir
    from zoo.hares import mini
    from zoo.hares.linear_probe import ProbeSettings
    from zoo.export.loader import SavedModelEncoder
    from zoo.hares.report import write_report

    work = FLAGS.work_dir or cache_dir("demo", FLAGS.size)
    start = time.time()
    stages = 5 if FLAGS.pretrain_steps else 3
    stage = iter(range(1, stages + 1))
    print(f"[{next(stage)}/{stages}] mini-HARES ({FLAGS.size}) -> {work}", flush=True)
    folders = mini.prepare_minihares(work, FLAGS.size, FLAGS.seed)
    print(f"      corpus and shards ready in {time.time() - start:.0f} s", flush=True)
    models = {}
    from zoo.published import DEFAULT_PUBLISHED, published_path
    for name in FLAGS.published:
        name = DEFAULT_PUBLISHED if name == "DEFAULT" else name
        models[f"{name} (published)"] = SavedModelEncoder(published_path(name))
    if FLAGS.pretrain_steps:
        print(f"[{next(stage)}/{stages}] SimCLR pretraining of {FLAGS.encoder}, {FLAGS.pretrain_steps} steps",
              flush=True)
        run_dir = _pretrain(work, folders)
        print(f"[{next(stage)}/{stages}] export (SavedModel + LiteRT, verified)", flush=True)
        from zoo.export import export_encoder, summarize_parity
        export_dir = os.path.join(work, "exports", f"{FLAGS.encoder}_simclr")
        facts = export_encoder(FLAGS.encoder, export_dir, checkpoint=run_dir,
                               progress=lambda line: print(f"      {line}", flush=True))
        print("\n".join(f"      {line}" for line in summarize_parity(facts)), flush=True)
        models[f"{FLAGS.encoder} + SimCLR"] = SavedModelEncoder(export_dir)
    keras.utils.set_random_seed(FLAGS.seed)
    models[f"{FLAGS.encoder} (random init)"] = zoo.create_encoder(FLAGS.encoder)
    for name in FLAGS.baselines:
        models[name] = zoo.create_encoder(name)
    print(f"[{next(stage)}/{stages}] linear probe on frozen encoders: {', '.join(models)}", flush=True)
    settings = ProbeSettings(steps=FLAGS.probe_steps, seed=FLAGS.seed)
    results = {label: mini.score_minihares(model, folders, settings=settings) for label, model in models.items()}
    print(f"[{next(stage)}/{stages}] report", flush=True)
    table = mini.markdown_table(results)
    print("\nmini-HARES accuracy (%) per task, domain means and the plain mean over tasks:\n")
    print(table)
    paths = write_report(results, os.path.join(work, "report"), title="mini-HARES linear probe", settings=settings)
    out = os.path.join(work, "demo_results.json")
    with open(out, "w") as f:
        json.dump({n: {"tasks": s, **mini.summarize(s)} for n, s in results.items()}, f, indent=1)
    print(f"\nwrote {out}, {paths['png']}; total {time.time() - start:.0f} s")
