"""Which side of the wall each Debian package stands on: the pretraining corpus (`open-audio`) reads
one set of packages, the cross-source probe suite (`cross-source`) another, and no package is on
both. A verdict on the cross-source suite is then measured on sources the weights never trained
beside: other games, other recording chains, other voices.

    sides.side_of("megaglest-data")                       # "probe"
    sides.require_side(["klettres-data"], "probe", "cross-source", known)   # raises LeakageError

Both corpus builders call `require_side` on the packages they are asked to read, and shards written
for a probe task record `"source": {"side": "probe", ...}` in their `dataset_info.json`, which
pretraining refuses.
"""

from zoo.errors import ConfigError

OPEN_AUDIO_PACKAGES = ("0ad-data", "wesnoth-1.16-music", "klettres-data", "redeclipse-data", "openarena-data")
XL_EXTRA_PACKAGES = (           # read only by open-audio-xl, a larger pretraining pool
    "asterisk-core-sounds-en-wav", "asterisk-core-sounds-es-wav", "asterisk-core-sounds-fr-wav",
    "asterisk-core-sounds-it-wav", "asterisk-core-sounds-ru-wav", "asterisk-prompt-it-menardi-wav",
    "flight-of-the-amazon-queen", "hedgewars-data", "trigger-rally-data", "warzone2100-data",
    "warzone2100-music", "hyperrogue-music", "drascula-music", "nexuiz-music", "supertuxkart-data",
    "widelands-data", "colobot-common-sounds", "extremetuxracer-data", "xmoto-data",
    "frozen-bubble-data", "pokerth-data", "tuxtype-data", "tuxpaint-data", "pingus-data", "ri-li-data",
    "khangman", "kanagram")
PRETRAIN_PACKAGES = OPEN_AUDIO_PACKAGES + XL_EXTRA_PACKAGES
PROBE_PACKAGES = ("megaglest-data", "wesnoth-1.16-data", "lincity-ng-data", "supertux-data", "naev-data")
SIDES = {"pretrain": PRETRAIN_PACKAGES, "probe": PROBE_PACKAGES}


class LeakageError(ConfigError):
    """A package, or shards cut from one, asked for on the other side of the pretrain/probe wall."""


def check_disjoint(sides=None):
    """Raise `LeakageError` when a package is listed on both sides of `sides` (default: `SIDES`)."""
    sides = SIDES if sides is None else sides
    both = sorted(set(sides["pretrain"]) & set(sides["probe"]))
    if both:
        raise LeakageError(f"package(s) {', '.join(both)} listed for both pretraining and probing; "
                           "each package belongs to one side only")


check_disjoint()


def side_of(package):
    """"pretrain", "probe", or None for a package neither corpus reads."""
    for side, packages in SIDES.items():
        if package in packages:
            return side
    return None


def require_side(packages, side, corpus, known):
    """Refuse any of `packages` that stands on the other side (`LeakageError`) or that `corpus` does
    not know (`ConfigError`, listing `known`)."""
    for package in packages:
        other = side_of(package)
        if other is not None and other != side:
            raise LeakageError(f"{package} is a {other}-side package: the {corpus} corpus never reads it, so "
                               f"that no probe task shares a source with the pretraining data "
                               f"(zoo/data/corpora/sides.py)")
    unknown = [p for p in packages if p not in known]
    if unknown:
        raise ConfigError(f"unknown {corpus} package(s) {unknown}; known: {', '.join(known)}")
