"""How the cross-source suite labels a recording: each package's rule (MegaGlest's voices and
calls, UFO:AI's categories, the drum families of the drum kits, the octave and pitch class of
recorded notes, the sound events of the event packages), and which files are one recording
(`recording_key`). Used by `zoo.data.corpora.cross_source`, which builds the suite from them."""

import math
import os
import re

DRUM_PACKAGES = ("hydrogen-drumkits", "hydrogen-data", "lmms-common", "freepats")

_MEGAGLEST_CALL = re.compile(r"_(ack|attack|die|select)\d*$")
_SPOKEN_CALLS = ("ack", "select")                 # the unit's spoken lines (attack and die are cries)
_NAEV_MOODS = ((r"combat|battle|threat", "battle"), (r"ambient|ambiphonic|peace", "calm"))
# A drum's family from its file name (first match wins; names from the kits' own naming: `bd`, `sd`,
# `hh` are kick, snare and hi-hat; a rim shot or side stick is played on the snare). Names that say
# none of these (`beats_06-38`, `zap01`, `fx_3`) are left unlabelled.
DRUM_FAMILIES = (
    ("cymbal", r"crash|ride|china|chinese|splash|cymbal|cup"),
    ("hihat", r"hi-?hat|hh|^ho[_-]|hat"),
    ("kick", r"kick|bass[-_ ]?drum|^bd|^kik|^kd"),
    ("snare", r"snare|^sd|^sn|rim|side[-_ ]?stick|^js"),
    ("tom", r"tom(?!bourine)"),
    ("hand percussion", r"conga|bongo|agogo|cow[-_ ]?bell|clap|shaker|tamb|tombourine|clav|wood|whistle|cabasa|"
                        r"maraca|guiro|timbal|triangle|perc|block"),
)
# Velocity layers of one drum (`PearlKick-Hard`, `PearlKick-Soft`, `Kick-3`): one recording is kept.
_DRUM_LAYER = re.compile(r"([-_ ]+(softest|soft|med|medium|hard|hardest|normal|loud|quiet|ff|mf|mp|pp|v?\d+|[a-z]))+$")


# What happens in a game's sound effect, from `folder/stem` of its file (first match wins; the order
# settles overlaps: `laser-blast` is a shot, `afterburner` an engine). Names that say none of these
# are left unlabelled.
SOUND_EVENTS = (
    ("engine", r"engine|motor|afterburner|jetpack|aircraft|minecart"),
    ("explosion", r"explo|(?<!laser-)(?<!ptl-)blast|boom|bomb(?!.*(fall|fly))|_exp\d*$|lrgexp|medexp|bansheeexp|"
                  r"empexp|firecracker|fireworks"),
    ("footstep", r"footstep|steps?/|(^|[/_])steps?(_|\d|$)|_walk\d*$|stairs"),
    ("door", r"door|gate|open_close|creak"),
    ("glass or breaking", r"glass|shatter|break(wood|metal|electric)|crack|crash(?!ride)"),
    ("gunfire", r"gun(?!.*(selected|show|hide))|rifle|pistol|shotgun|bullet(?!.*(impact|sword))|m16|sniper|smg|"
                r"bolter|needler|autocannon|flechette"),
    ("laser or plasma", r"laser|plasma|phaser|ptl-|beam\d|(^|/)ion$|neutron|ripper"),
    ("weather", r"thunder|lightning|wind(?!ow|mill)|(^|/)rain|storm"),
    ("water", r"water|splash|river|bubble|drip|droplet|sink|swim|fountain|fontain"),
    ("fire", r"/fire\d*$|flame|burn|embers|smallfire|firesoft|open_fire|sizzle"),
    ("scream or cry", r"scream|hurt|death|_die\d*$|/die|critdie|pain|grunt|groan|roar|howl"),
    ("coin or pickup", r"coin|pick|loot|collect|lifeup|upgrade"),
    ("click or beep", r"click|/clic$|beep|button|menu"),
)
EVENT_PACKAGES = ("ufoai-sound", "wesnoth-1.16-data", "lincity-ng-data", "supertux-data", "naev-data",
                  "freedroidrpg-data", "flare-game", "warmux-data")


def sound_event(path):
    """One of `SOUND_EVENTS`' labels ("explosion", "footstep", ...) or None, from a sound effect's path."""
    inner = path.split(":")[-1]
    name = f"{os.path.basename(os.path.dirname(inner))}/{os.path.splitext(os.path.basename(inner))[0]}".lower()
    for event, pattern in SOUND_EVENTS:
        if re.search(pattern, name):
            return event
    return None


def drum_family(stem):
    """"kick", "snare", "hihat", "tom", "cymbal", "hand percussion" or None, from a file name's stem."""
    stem = stem.lower()
    for family, pattern in DRUM_FAMILIES:
        if re.search(pattern, stem):
            return family
    return None


PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def midi_note(hz):
    """The MIDI note nearest `hz` (A4 = 440 Hz = 69; its octave in scientific pitch notation is
    note // 12 - 1, so middle C, 261.6 Hz, is 60: C4)."""
    return int(round(69 + 12 * math.log2(hz / 440.0)))


def recording_key(package, path):
    """What makes a file one independent recording: its path, except a drum sample, whose velocity
    layers (and numbered takes) in one kit folder are one drum (`kit/stem` without the layer suffix)."""
    if package == "freepats":              # PATCH.pat:sNN_ROOTHz.wav: a drum patch is one drum
        patch = path.split(":")[0]
        return f"{package}:{patch}" if "/Drum_000/" in patch else f"{package}:{path}"
    if package not in DRUM_PACKAGES:
        return f"{package}:{path}"
    folder, name = os.path.split(path)
    stem = os.path.splitext(name)[0].lower()
    return f"{package}:{folder}/{_DRUM_LAYER.sub('', stem) or stem}"


def labels_of(package, path):
    """{probe task: label} that `path` (inside `package`) carries; {} for a file no task uses."""
    labels = _package_labels(package, path)
    event = sound_event(path) if package in EVENT_PACKAGES and "/music/" not in path else None
    return {**labels, "xs_sound_event": event} if event else labels


def _package_labels(package, path):
    stem = os.path.splitext(os.path.basename(path))[0].lower()
    if package == "megaglest-data":
        unit = re.search(r"/factions/([^/]+)/units/([^/]+)/", path)
        call = _MEGAGLEST_CALL.search(stem)
        if not (unit and call):
            return {}
        labels = {"xs_megaglest_call": call.group(1)}
        if call.group(1) in _SPOKEN_CALLS:
            labels["xs_megaglest_voice"] = f"{unit.group(1)}/{unit.group(2)}"
        return labels
    if package == "wesnoth-1.16-data":
        return {"xs_wesnoth_source": re.split(r"[-_ ]", stem)[0]}
    if package == "lincity-ng-data":
        name = re.sub(r"\d+$", "", os.path.splitext(os.path.basename(path))[0])
        return {"xs_lincity_source": name} if name else {}
    if package == "supertux-data":
        world = re.search(r"/music/([^/]+)/", path)
        return {"xs_supertux_music_world": world.group(1)} if world else {}
    if package == "naev-data" and "/music/" in path:
        for pattern, mood in _NAEV_MOODS:
            if re.search(pattern, stem):
                return {"xs_naev_music_mood": mood}
    if package == "ktuberling-data":      # sounds/LANG/word.ogg; sr@latin and the like are Serbian
        language = re.search(r"/sounds/([^/@]+)(@[^/]*)?/[^/]+$", path)
        return {"xs_ktuberling_language": language.group(1)} if language else {}
    if package == "openclonk-data":       # Sound.ocg:GROUP.ocg/[SUBGROUP.ocg/]name.ogg; GROUP: animals, clonk, ...
        group = re.search(r"Sound\.ocg:([^/]+)\.ocg/", path)
        return {"xs_openclonk_category": group.group(1).lower()} if group else {}
    if package == "ufoai-sound":          # 0snd.pk3:sound/CATEGORY/[alien/]name.ogg
        category = re.search(r":sound/([^/]+)/", path)
        return {"xs_ufoai_category": category.group(1)} if category else {}
    if package == "freepats":             # PATCH.pat:sNN_ROOTHz.wav, ROOT the note it was recorded at
        patch, _, sample = path.partition(":")
        if "/Drum_000/" in patch:
            family = drum_family(os.path.splitext(os.path.basename(patch))[0])
            return {"xs_drum_family": family} if family else {}
        root = re.search(r"_([0-9.]+)Hz\.wav$", sample)
        if not root:
            return {}
        note = midi_note(float(root.group(1)))
        return {"xs_freepats_octave": f"octave {note // 12 - 1}", "xs_freepats_pitch_class": PITCH_CLASSES[note % 12]}
    if package in DRUM_PACKAGES:
        family = drum_family(stem)
        return {"xs_drum_family": family} if family else {}
    return {}
