"""`hares-zoo probe`: score encoders with the HARES linear probe and print one comparable table.

--model takes registry names, .keras files or SavedModel folders that follow the serving contract
(a third party's included), several at once. --tasks mini runs the protocol on the generated
mini-HARES corpus (cached); other tasks read TFRecord shards from --data_dir/<task>/ written by
`hares-zoo prepare`. Writes scores.{md,json,csv,png} into --out.

    hares-zoo probe --model=logmel,nf_slowfast_tiny,exports/sf_tiny --tasks=mini --out=runs/probe
    hares-zoo probe --model=exports/sf_tiny --tasks=speech_commands_v1,nsynth_pitch --data_dir=/data/hares
"""

import os
import sys

from absl import flags

FLAGS = flags.FLAGS
flags.DEFINE_list("model", None, "Encoders to score: registry names, published names (zoo.list_published()), .keras files or SavedModel folders. Required.")
flags.DEFINE_string("tasks", "mini", "'mini' (generated mini-HARES), 'open-audio' (real recordings; build "
                    "them with `hares-zoo prepare --corpus=open-audio`), 'all' (the paper's 12, from --data_dir) "
                    "or a comma-separated list of task names.")
flags.DEFINE_string("data_dir", None, "Folder with one shard folder per HARES task (<data_dir>/<task>/). "
                    "Open-audio tasks default to the corpus in the cache (its shards/ folder).")
flags.DEFINE_enum("size", "default", ["tiny", "small", "default"], "mini-HARES size, with --tasks=mini.")
flags.DEFINE_integer("probe_steps", 1500, "Probe training steps per task (the paper: 400k at batch 64).")
flags.DEFINE_float("learning_rate", 1e-3, "Probe peak learning rate (the paper: 2e-4 over 400k steps).")
flags.DEFINE_integer("seed", 0, "Seed of the probe and of the mini-HARES corpus.")
flags.DEFINE_string("out", "hares_probe", "Folder for scores.md, scores.json, scores.csv and scores.png.")
flags.mark_flag_as_required("model")


def main(argv):
    del argv
    from zoo.cache import cache_dir
    from zoo.errors import ZooError
    from zoo.hares.linear_probe import ProbeSettings
    from zoo.hares.models import load_probe_model
    from zoo.hares.probe import find_task_folders, score_tasks
    from zoo.hares.report import markdown_table, write_report
    from zoo.hares.tasks import resolve_tasks
    try:
        tasks = resolve_tasks(FLAGS.tasks)
        if all(t.group == "mini" for t in tasks):
            from zoo.hares.mini import prepare_minihares
            folders = prepare_minihares(cache_dir(f"mini-hares-{FLAGS.size}"), FLAGS.size, FLAGS.seed)
        elif all(t.group == "open-audio" for t in tasks) and not FLAGS.data_dir:
            from zoo.data.corpora.open_audio import shard_folders
            folders = find_task_folders(os.path.dirname(shard_folders()["pretrain"]), tasks)
        elif not FLAGS.data_dir:
            raise ZooError(f"--tasks={FLAGS.tasks} needs --data_dir (a folder with one shard folder per task)")
        else:
            folders = find_task_folders(FLAGS.data_dir, tasks)
        settings = ProbeSettings(steps=FLAGS.probe_steps, peak_learning_rate=FLAGS.learning_rate, seed=FLAGS.seed)
        results = {}
        for spec in FLAGS.model:
            model = load_probe_model(spec)
            results[os.path.basename(os.path.normpath(spec))] = score_tasks(model, folders, tasks, settings)
    except (ZooError, KeyError, ValueError, FileNotFoundError) as error:
        sys.exit(f"hares-zoo probe: {error}")
    print(markdown_table(results))
    paths = write_report(results, FLAGS.out)
    print(f"\nwrote {', '.join(paths.values())}")
