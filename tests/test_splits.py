"""The one split rule (`zoo.data.splits.stable_split`) keeps every assignment the zoo made before it
was the one rule: the HARES adapters' sha256 fractions and the open-audio corpus' sha1 percentages.
The reference digests were computed with the two former implementations (at 7147365) on the same
1,200 keys; a digest is the sha256 of the concatenated split names, in key order. The stratified
rule of the cross-source suite (`stratified_split`) is checked here too."""

import collections
import hashlib

import pytest

from zoo.data.corpora import open_audio
from zoo.data.splits import stable_split

KEYS = [f"audio/{kind}/clip_{i}.ogg" for kind in ("rain", "voice", "music") for i in range(400)]


def _digest(names):
    return hashlib.sha256("".join(names).encode()).hexdigest()[:16]


def test_adapter_splits_are_unchanged():
    two = [stable_split(k) for k in KEYS]
    three = [stable_split(k, (("train", 0.8), ("valid", 0.1), ("test", 0.1))) for k in KEYS]
    assert collections.Counter(two) == {"train": 975, "test": 225} and _digest(two) == "09f17854d9713dc7"
    assert collections.Counter(three) == {"train": 975, "valid": 116, "test": 109}
    assert _digest(three) == "882739f0b4710f14"


def test_open_audio_splits_are_unchanged():
    got = [open_audio.split_of("0ad-data", k) for k in KEYS]
    assert collections.Counter(got) == {"pretrain": 698, "probe-train": 305, "probe-test": 197}
    assert _digest(got) == "26faaa8a9aceb550"


def test_an_unknown_digest_is_refused():
    from zoo.errors import ConfigError
    with pytest.raises(ConfigError, match="digest 'md5'"):
        stable_split("a", digest="md5")


def test_stratified_split_gives_every_class_a_test_file_and_is_order_free():
    from zoo.data.splits import stratified_split
    keys = [f"pkg:sound_{i}.ogg" for i in range(5)]
    split = stratified_split(keys, 0.4)
    assert sorted(split.values()) == ["test", "test", "train", "train", "train"]    # round(0.4 * 5) = 2
    assert stratified_split(list(reversed(keys)), 0.4) == split
    assert stratified_split(["pkg:only.ogg"], 0.4) == {"pkg:only.ogg": "test"}        # at least one
