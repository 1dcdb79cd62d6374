"""An opt-in persistent XLA compilation cache in the zoo's cache folder (`<cache>/xla/<machine key>/`).

The probe's training loop is one XLA-compiled program per shape bucket (`zoo.hares.linear_probe`);
compiling it costs about 0.8 s on a CPU. TensorFlow can keep compiled programs on disk
(`--tf_xla_persistent_cache_directory` in `TF_XLA_FLAGS`); with it, every process after the first
loads them instead (about 0.4 s). Each program is a file of a few hundred kB.

**Off by default.** With TensorFlow 2.20-2.21, every load from that cache prints error-level lines
(`E0000 ... Error parsing text-format tensorflow.XlaSerializedCacheEntry` and `Target machine
feature +prefer-no-scatter is not supported on the host machine ... could lead to execution errors
such as SIGILL`) on the very machine that wrote it: TensorFlow tries the text format before the
binary one, and XLA's own tuning flags are reported as processor features. The programs run
correctly, but a correct run must not print errors, and the saving (about 0.45 s per program, a few
seconds per `hares-zoo probe` that spends minutes embedding) does not pay for them. Set
`HARES_ZOO_XLA_CACHE=1` to turn it on, knowing those lines are harmless.

TensorFlow reads `TF_XLA_FLAGS` once per process, when the first `tf.function` runs, so `enable()`
must run before any TensorFlow work. The `hares-zoo` subcommands that probe (probe, demo, publish,
bench) and `benchmarks/probe_speed.py` call it at start. A `TF_XLA_FLAGS` that already names a cache
directory is left as it is. Deleting the folder is always safe.
"""

import hashlib
import os
import platform

from zoo.cache import cache_dir

FLAG = "--tf_xla_persistent_cache_directory"


def machine_key():
    """A short hash of what a compiled CPU program depends on beyond its own graph: the processor's
    architecture and instruction-set flags and the TensorFlow version. Each key gets its own
    subfolder, so a cache folder shared between different machines never hands one a program built
    for another's instructions."""
    from importlib import metadata
    flags = ""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line for line in f if line.startswith(("flags", "Features"))), "")
    except OSError:
        pass
    try:
        version = metadata.version("tensorflow")
    except metadata.PackageNotFoundError:
        version = "none"
    return key_of("|".join([platform.machine(), platform.processor(), " ".join(sorted(flags.split())), version]))


def key_of(description):
    """The 12-hex-digit folder name of a machine description (`machine_key`)."""
    return hashlib.sha256(description.encode()).hexdigest()[:12]


def enable():
    """With `HARES_ZOO_XLA_CACHE=1`, point TensorFlow's persistent XLA cache at `<cache>/xla/<machine
    key>/` -> that folder, or None when off (the default), already set by the user, or impossible (a path with whitespace cannot go
    in `TF_XLA_FLAGS`)."""
    if os.environ.get("HARES_ZOO_XLA_CACHE", "0").strip().lower() not in ("1", "true", "yes", "on"):
        return None
    current = os.environ.get("TF_XLA_FLAGS", "")
    if FLAG in current:
        return None
    folder = cache_dir("xla", machine_key())
    if any(c.isspace() for c in folder):
        return None
    os.makedirs(folder, exist_ok=True)
    os.environ["TF_XLA_FLAGS"] = f"{current} {FLAG}={folder}".strip()
    return folder
