"""`hares-zoo prepare`: a CSV manifest (or the generated mini-HARES corpus) -> TFRecord shards.

Bad files are reported by name and skipped; rerunning the same command resumes an interrupted job.
"""

import sys

from absl import flags

from zoo import audio_constants as ac

FLAGS = flags.FLAGS
flags.DEFINE_string("manifest", None, "CSV manifest (columns path,label[,split][,start,end]; see "
                    "zoo/data/manifest.py). Paths are relative to the manifest's folder.")
flags.DEFINE_enum("corpus", None, ["mini-hares", "open-audio"], "Instead of --manifest: build and "
                  "shard a built-in corpus. mini-hares: the embedded synthetic benchmark. open-audio: real "
                  "recordings from five Debian packages (zoo/data/corpora/open_audio.py), obtained with "
                  "apt-get download or read from --debs; --out defaults to the cache.")
flags.DEFINE_string("debs", None, "With --corpus=open-audio: folder of already downloaded .deb files "
                    "(PACKAGE_VERSION_all.deb). Packages not found there are fetched with apt-get download "
                    "into it, unless --nodownload. Default: the cache's debs/ folder.")
flags.DEFINE_bool("download", True, "With --corpus=open-audio: run apt-get download for packages that "
                  "are not in --debs. --nodownload reports them as missing and goes on.")
flags.DEFINE_list("packages", None, "With --corpus=open-audio: only these packages (default: all five).")
flags.DEFINE_enum("size", "default", ["tiny", "small", "default"], "mini-HARES size (with --corpus mini-hares).")
flags.DEFINE_string("out", None, "Output folder for the shards and dataset_info.json (required, "
                    "except with --corpus=open-audio, which defaults to the cache).")
flags.DEFINE_integer("clips_per_shard", 256, "Clips per TFRecord shard.")
flags.DEFINE_integer("workers", 2, "Decoding processes.")
flags.DEFINE_integer("sample_rate", ac.SAMPLE_RATE, "Sample rate (Hz) of the audio in the shards.")
flags.DEFINE_integer("seed", 0, "Seed of the generated corpus (with --corpus).")


def main(argv):
    del argv
    if (FLAGS.manifest is None) == (FLAGS.corpus is None):
        sys.exit("hares-zoo prepare: give exactly one of --manifest or --corpus")
    if FLAGS.corpus == "open-audio":
        from zoo.data.corpora import open_audio
        from zoo.errors import ZooError
        try:
            report = open_audio.build_open_audio(
                FLAGS.out or open_audio.default_root(), FLAGS.debs, FLAGS.download,
                FLAGS.packages or open_audio.PACKAGE_NAMES, FLAGS.workers)
        except (ZooError, ValueError) as error:
            sys.exit(f"hares-zoo prepare: {error}")
        print(report.summary())
        return
    if FLAGS.out is None:
        sys.exit("hares-zoo prepare: --out is required")
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
