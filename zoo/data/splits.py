"""How the zoo assigns files to splits without a published one: by a stable hash of a key (a path,
`package:path`), the same on every machine and in every run, independent of file order. Either each
key on its own (`stable_split`), or one class's keys together, so that every class gets test files
(`stratified_split`, for small classes).

    stable_split("audio/rain.ogg")                                   # "train" (80 %) or "test" (20 %)
    stable_split(key, (("pretrain", 60), ("probe-train", 25), ("probe-test", 15)), digest="sha1")
    stratified_split(["pkg:a.ogg", "pkg:b.ogg", "pkg:c.ogg"], 0.4)    # {key: "train" | "test"}, 1 test
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


def stratified_split(keys, test_fraction):
    """{key: "train" | "test"} for the keys of one class: ordered by their sha1, the first
    `max(1, round(test_fraction * len(keys)))` are test, so a class of any size has a test file."""
    ordered = sorted(keys, key=lambda key: hashlib.sha1(key.encode()).hexdigest())
    n_test = max(1, round(test_fraction * len(ordered)))
    return {key: "test" if i < n_test else "train" for i, key in enumerate(ordered)}
