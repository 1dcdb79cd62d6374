"""Which side of the wall each Debian package stands on: the pretraining corpora (`open-audio`,
`open-audio-xl`) read one set of packages, the cross-source probe suite (`cross-source`) another, and
no package is on both. A verdict on the cross-source suite is then measured on sources the weights
never trained beside: other games, other recording chains, other voices.

A third side, **reserved**, holds packages kept for an evaluation that runs outside this repository:
no corpus, pretraining pool or probe suite here reads them, and `package_audio.obtain_deb` refuses
to fetch or open one, so nothing here can be tuned to that evaluation.

    sides.side_of("megaglest-data")                       # "probe"
    sides.side_of("hedgewars-data")                       # "reserved"
    sides.require_side(["klettres-data"], "probe", "cross-source", known)   # raises LeakageError
    sides.refuse_reserved("fluid-soundfont-gm", "open-audio-xl")            # raises ReservedPackageError

Both corpus builders call `require_side` on the packages they are asked to read, and shards written
for a probe task record `"source": {"side": "probe", ...}` in their `dataset_info.json`, which
pretraining refuses.
"""

from zoo.errors import ConfigError

OPEN_AUDIO_PACKAGES = ("0ad-data", "wesnoth-1.16-music", "klettres-data", "redeclipse-data", "openarena-data")
XL_EXTRA_PACKAGES = (           # read only by open-audio-xl, a larger pretraining pool
    "flight-of-the-amazon-queen", "trigger-rally-data", "warzone2100-music", "hyperrogue-music",
    "drascula-music", "nexuiz-music", "colobot-common-sounds", "extremetuxracer-data", "xmoto-data",
    "frozen-bubble-data", "pokerth-data", "tuxtype-data", "tuxpaint-data", "pingus-data", "ri-li-data",
    "khangman", "kanagram")
PRETRAIN_PACKAGES = OPEN_AUDIO_PACKAGES + XL_EXTRA_PACKAGES
PROBE_PACKAGES = ("megaglest-data", "wesnoth-1.16-data", "lincity-ng-data", "supertux-data", "naev-data",
                  "ktuberling-data", "hydrogen-drumkits", "hydrogen-data", "lmms-common", "ufoai-sound",
                  "freepats", "freedroidrpg-data", "flare-game", "warmux-data", "openclonk-data")
RESERVED_PACKAGES = (           # kept for an evaluation outside this repository: never read here
    "hedgewars-data", "warzone2100-data", "widelands-data", "supertuxkart-data", "fluid-soundfont-gm",
    "fluid-soundfont-gs", "fluidr3mono-gm-soundfont", "timgm6mb-soundfont")
RESERVED_PREFIXES = ("asterisk-core-sounds-", "asterisk-prompt-", "musescore-general-soundfont")
SIDES = {"pretrain": PRETRAIN_PACKAGES, "probe": PROBE_PACKAGES, "reserved": RESERVED_PACKAGES}


class LeakageError(ConfigError):
    """A package, or shards cut from one, asked for on the other side of the pretrain/probe wall."""


class ReservedPackageError(LeakageError):
    """A package reserved for the evaluation outside this repository, asked for by any corpus."""


def is_reserved(package):
    """True for a reserved package: one of `RESERVED_PACKAGES` or a name starting with one of
    `RESERVED_PREFIXES` (every Asterisk sound or prompt package, every MuseScore General bank)."""
    return package in RESERVED_PACKAGES or package.startswith(RESERVED_PREFIXES)


def check_disjoint(sides=None):
    """Raise `LeakageError` when a package is listed on two sides of `sides` (default: `SIDES`), or
    a pretraining or probe package is reserved."""
    sides = SIDES if sides is None else sides
    names = list(sides)
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            both = sorted(set(sides[first]) & set(sides[second]))
            if both:
                raise LeakageError(f"package(s) {', '.join(both)} listed for both {first} and {second}; "
                                   "each package belongs to one side only")
    reserved = sorted(p for side in ("pretrain", "probe") for p in sides.get(side, ()) if is_reserved(p))
    if reserved:
        raise LeakageError(f"package(s) {', '.join(reserved)} are reserved and may not be read by any corpus")


check_disjoint()


def side_of(package):
    """"pretrain", "probe", "reserved", or None for a package no corpus reads."""
    if is_reserved(package):
        return "reserved"
    for side, packages in SIDES.items():
        if package in packages:
            return side
    return None


def refuse_reserved(package, reader):
    """Raise `ReservedPackageError` when `package` is reserved; `reader` names who asked ("the
    open-audio-xl corpus"). Called before any `.deb` is fetched or opened."""
    if is_reserved(package):
        raise ReservedPackageError(f"{package} is reserved for an evaluation outside this repository, so "
                                   f"{reader} may not read it: no corpus, pretraining pool or probe suite "
                                   f"here does (zoo/data/corpora/sides.py, RESERVED_PACKAGES)")


def require_side(packages, side, corpus, known):
    """Refuse any of `packages` that stands on the other side (`LeakageError`) or that `corpus` does
    not know (`ConfigError`, listing `known`)."""
    for package in packages:
        refuse_reserved(package, f"the {corpus} corpus")
        other = side_of(package)
        if other is not None and other != side:
            raise LeakageError(f"{package} is a {other}-side package: the {corpus} corpus never reads it, so "
                               f"that no probe task shares a source with the pretraining data "
                               f"(zoo/data/corpora/sides.py)")
    unknown = [p for p in packages if p not in known]
    if unknown:
        raise ConfigError(f"unknown {corpus} package(s) {unknown}; known: {', '.join(known)}")
