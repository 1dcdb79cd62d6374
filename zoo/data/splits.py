"""The one way the zoo assigns a file to a split without a published one: a stable hash of a key
(a path, `package:path`), the same on every machine and in every run, independent of file order.

    stable_split("audio/rain.ogg")                                   # "train" (80 %) or "test" (20 %)
    stable_split(key, (("pretrain", 60), ("probe-train", 25), ("probe-test", 15)), digest="sha1")
"""

import hashlib

from zoo.errors import ConfigError

DEFAULT_SPLITS = (("train", 0.8), ("test", 0.2))


def stable_split(key, fractions=DEFAULT_SPLITS, digest="sha256"):
    """The split of `key`: `fractions` are (name, share) pairs; shares are fractions of 1 or, when all
    are integers, percentages. `digest="sha256"` hashes to a fraction of 2**64 (the HARES adapters);
    `"sha1"` to a percentage bucket, `int(sha1[:8], 16) % 100`, which the open-audio corpus has always
    used (changing it would move files between its pretraining pool and probe sets)."""
    if digest == "sha256":
        value = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2.0 ** 64
        scale = 1.0
    elif digest == "sha1":
        value = int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) % 100
        scale = 100 if all(isinstance(share, int) for _, share in fractions) else 1.0
        value = value if scale == 100 else value / 100
    else:
        raise ConfigError(f"stable_split: digest {digest!r}; expected 'sha256' or 'sha1'")
    total = 0
    for name, share in fractions:
        total += share
        if value < total:
            return name
    return fractions[-1][0]
