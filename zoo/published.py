"""The published, pretrained encoders: `zoo/assets/published/<encoder>-<objective>-<corpus>/`, shipped
inside the package (a wheel or `pip install git+URL` carries them), each a verified export folder with
its model card (see docs/published.md).

    zoo.list_published()                     # ["nf_slowfast_tiny_fine_std-simclr-open-audio", ...]
    zoo.load("nf_slowfast_tiny_fine_std-simclr-open-audio").embed(waveform)

`$HARES_ZOO_PUBLISHED` points elsewhere (a folder of more export folders, e.g. your own).
"""

import os

from zoo import registry
from zoo.errors import NotFoundError, UnknownNameError, UnknownOptionError

DEFAULT_PUBLISHED = "nf_slowfast_tiny_fine_std_logmel-distill-open-audio"   # the best on the cross-source suite; zoo.load(), the notebooks and the demo use it


def published_dir():
    """The folder that holds the published encoders: `$HARES_ZOO_PUBLISHED`, else the package's own."""
    return os.environ.get("HARES_ZOO_PUBLISHED") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "assets", "published")


def list_published():
    """Names of the published encoders (sorted)."""
    root = published_dir()
    if not os.path.isdir(root):
        return []
    return sorted(n for n in os.listdir(root) if os.path.exists(os.path.join(root, n, "saved_model.pb")))


def published_path(name):
    """The export folder of the published encoder `name`; a KeyError lists the known names."""
    path = os.path.join(published_dir(), name)
    if not os.path.exists(os.path.join(path, "saved_model.pb")):
        raise UnknownNameError(f"no published encoder {name!r} in {published_dir()}; published: "
                       f"{', '.join(list_published()) or 'none'}")
    return path


def resolve_model_path(name_or_path):
    """A path that exists is returned as is; a published name becomes its folder; anything else
    raises FileNotFoundError naming both what was looked for and the published names."""
    path = os.fspath(name_or_path)
    if os.path.exists(path):
        return path
    if path in list_published():
        return published_path(path)
    raise NotFoundError(f"{path!r} is not a SavedModel folder (no saved_model.pb) nor a published encoder "
                            f"in {published_dir()}; published: {', '.join(list_published()) or 'none'}")


def load_published_keras(name_or_path):
    """(Keras model with the pretrained weights, its registry name) of a published encoder's name, an
    export folder or a `.keras` file. Errors name the file: a missing `encoder.keras`, or one that
    cannot be read."""
    import json

    path = os.fspath(name_or_path)
    if not os.path.exists(path):
        if path not in list_published():
            raise UnknownNameError(f"weights={path!r}: not a published encoder nor a file; published: "
                                   f"{', '.join(list_published()) or 'none'}")
        path = published_path(path)
    keras_file = os.path.join(path, "encoder.keras") if os.path.isdir(path) else path
    if not os.path.exists(keras_file):
        raise NotFoundError(f"{keras_file}: file not found (an export folder holds encoder.keras beside its SavedModel)")
    model = registry.load_encoder_file(keras_file)
    card = os.path.join(os.path.dirname(keras_file), "model_card.json")
    encoder_name = type(model).__name__
    if os.path.exists(card):
        with open(card) as f:
            encoder_name = json.load(f).get("encoder_name", encoder_name)
    return model, encoder_name


def create_encoder(name=None, weights=None, **overrides):
    """`zoo.create_encoder`: encoder `name` built with random weights and its registered defaults
    updated by `overrides` (`zoo.registry.create_encoder`), or, with `weights=PUBLISHED_NAME`
    (`zoo.list_published()`), that published encoder as a Keras 3 model with its pretrained weights,
    architecture and options taken from its card (`name` may be left out; given, it must be the
    card's), ready for `model.fit`: `zoo.create_encoder(weights=zoo.DEFAULT_PUBLISHED)`. An export
    folder or a `.keras` file works the same way."""
    if weights is None:
        if name is None:
            raise UnknownNameError("create_encoder() needs an encoder name (zoo.list_encoders()) or weights= a "
                                   "published name (zoo.list_published())")
        return registry.create_encoder(name, **overrides)
    if overrides:
        raise UnknownOptionError(f"create_encoder(weights={weights!r}) takes its architecture and options from "
                                 f"the published card; drop {sorted(overrides)}")
    model, encoder_name = load_published_keras(weights)
    if name is not None and name != encoder_name:
        raise UnknownOptionError(f"create_encoder({name!r}, weights={weights!r}): those weights belong to "
                                 f"{encoder_name!r}")
    return model
