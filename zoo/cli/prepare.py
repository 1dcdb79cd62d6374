"""`hares-zoo prepare`: a CSV manifest (or the generated mini-HARES corpus) -> TFRecord shards.

Bad files are reported by name and skipped; rerunning the same command resumes an interrupted job.
"""

import sys

from absl import flags

from zoo import audio_constants as ac

FLAGS = flags.FLAGS
flags.DEFINE_string("manifest", None, "CSV manifest (columns path,label[,split][,start,end]; see "
                    "zoo/data/manifest.py). Paths are relative to the manifest's folder.")
flags.DEFINE_enum("corpus", None, ["mini-hares"], "Instead of --manifest: generate and shard a "
                  "built-in corpus. mini-hares: the embedded synthetic benchmark.")
flags.DEFINE_enum("size", "default", ["tiny", "small", "default"], "mini-HARES size (with --corpus mini-hares).")
flags.DEFINE_string("out", None, "Output folder for the shards and dataset_info.json (required).")
flags.DEFINE_integer("clips_per_shard", 256, "Clips per TFRecord shard.")
flags.DEFINE_integer("workers", 2, "Decoding processes.")
flags.DEFINE_integer("sample_rate", ac.SAMPLE_RATE, "Sample rate (Hz) of the audio in the shards.")
flags.DEFINE_integer("seed", 0, "Seed of the generated corpus (with --corpus).")
flags.mark_flag_as_required("out")


def main(argv):
    del argv
    if (FLAGS.manifest is None) == (FLAGS.corpus is None):
        sys.exit("hares-zoo prepare: give exactly one of --manifest or --corpus")
    if FLAGS.corpus == "mini-hares":
        from zoo.hares.mini import prepare_minihares
        folders = prepare_minihares(FLAGS.out, FLAGS.size, FLAGS.seed, FLAGS.workers)
        for name, folder in folders.items():
            print(f"{name:<18} {folder}")
        return
    from zoo.data.prepare import prepare_shards
    report = prepare_shards(FLAGS.manifest, FLAGS.out, FLAGS.clips_per_shard, FLAGS.workers,
                            FLAGS.sample_rate)
    print(report.summary())
