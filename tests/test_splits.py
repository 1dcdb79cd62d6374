"""The one split rule (`zoo.data.splits.stable_split`) keeps every assignment the zoo made before it
was the one rule: the HARES adapters' sha256 fractions and the open-audio corpus' sha1 percentages."""

import hashlib

from zoo.data.corpora import open_audio
from zoo.data.splits import stable_split

KEYS = [f"audio/{kind}/clip_{i}.ogg" for kind in ("rain", "voice", "music") for i in range(400)]


def _adapters_rule(key, fractions):
    value = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2.0 ** 64
    total = 0.0
    for name, fraction in fractions:
        total += fraction
        if value < total:
            return name
    return fractions[-1][0]


def _open_audio_rule(package, path):
    bucket = int(hashlib.sha1(f"{package}:{path}".encode()).hexdigest()[:8], 16) % 100
    return "probe-train" if bucket < 25 else "probe-test" if bucket < 40 else "pretrain"


def test_adapter_splits_are_unchanged():
    three = (("train", 0.8), ("valid", 0.1), ("test", 0.1))
    assert [stable_split(k) for k in KEYS] == [_adapters_rule(k, (("train", 0.8), ("test", 0.2))) for k in KEYS]
    assert [stable_split(k, three) for k in KEYS] == [_adapters_rule(k, three) for k in KEYS]


def test_open_audio_splits_are_unchanged_and_cover_every_bucket():
    got = [open_audio.split_of("0ad-data", k) for k in KEYS]
    assert got == [_open_audio_rule("0ad-data", k) for k in KEYS]
    assert {name: got.count(name) for name in set(got)} == {"pretrain": 698, "probe-train": 305, "probe-test": 197}
