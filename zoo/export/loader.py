"""`zoo.load(path)`: embed audio with an exported encoder without touching the signature.

    >>> model = zoo.load("exports/sf_tiny")
    >>> out = model.embed(waveform, sample_rate=44100)   # [samples] or [samples, channels]
    >>> out["embedding"], out["frame_embeddings"], out["timestamps"]   # [D], [frames, D], [frames] s
    >>> outs = model.embed([clip_a, clip_b])             # a list of clips -> a list of results
    >>> out = model.embed_file("talk.flac")              # any rate, stereo mixed down

The door: with `door="auto"` (the default) an export folder whose LiteRT float32 file takes any
batch and length and passed its parity checks at export (`model_card.json`) runs through LiteRT
when `ai_edge_litert` is installed (several times faster than the SavedModel on a CPU, within 1e-6
of it); otherwise through the SavedModel. `door="saved_model"` or `"litert"` asks for one; `.door`
says which one runs.

Long audio is cut into chunks of about `chunk_seconds` (a whole number of frame hops each, so every
frame stays on one time grid) and the chunks' frame embeddings are concatenated; the clip's
`embedding` is then the duration-weighted mean of the chunks' embeddings. Clips of equal length in
a list are batched together (`batch_size` at a time).
"""

import os

import numpy as np

from zoo import audio_constants as ac
from zoo.data.audio_io import check_waveform, read_audio, resample
from zoo.errors import NotFoundError, ServingContractError


class SavedModelEncoder:
    """The zoo's one SavedModel wrapper: a contract SavedModel (ours or a third party's: `obj(waveform)`
    returning a dict with `embedding`, or a `serving_default` signature with a `waveform` input) as a
    frozen encoder, `__call__(waveform [batch, samples], training=False) -> {"embedding", ...}`
    (`training` is ignored). The probe and `ExportedEncoder` both call SavedModels through it."""

    def __init__(self, path):
        import tensorflow as tf
        self.path = os.fspath(path)
        try:
            self.module = tf.saved_model.load(self.path)
        except (OSError, ValueError, tf.errors.OpError) as error:     # truncated or foreign files
            raise ServingContractError(f"{os.path.join(self.path, 'saved_model.pb')} (or its variables/) cannot be "
                                       f"loaded as a SavedModel: {type(error).__name__}: {str(error)[:300]}") from error
        self.name = os.path.basename(os.path.normpath(self.path))
        if callable(self.module):
            self._fn = lambda waveform: self.module(waveform)
        elif "serving_default" in getattr(self.module, "signatures", {}):
            signature = self.module.signatures["serving_default"]
            self._fn = lambda waveform: signature(waveform=waveform)
        else:
            raise ServingContractError(f"SavedModel {self.path!r} has neither __call__ nor a serving_default "
                                       "signature; expected the serving contract (export/README.md)")

    def __call__(self, waveform, training=False):
        import tensorflow as tf
        del training
        outputs = self._fn(tf.convert_to_tensor(waveform, tf.float32))
        if not isinstance(outputs, dict) or "embedding" not in outputs:
            raise ServingContractError(f"SavedModel {self.path!r} returned {type(outputs).__name__} without an "
                                       "'embedding' output; expected the serving contract (export/README.md)")
        return outputs


LITERT_FILE = os.path.join("tflite", "encoder_float32.tflite")
DOORS = ("auto", "litert", "saved_model")


def verified_litert(path):
    """The export folder's LiteRT float32 file when it takes any batch and length, passed its parity
    checks at export (its `model_card.json`) and `ai_edge_litert` is installed; else None."""
    import json
    file, card = os.path.join(path, LITERT_FILE), os.path.join(path, "model_card.json")
    if not (os.path.exists(file) and os.path.exists(card)):
        return None
    try:
        import ai_edge_litert.interpreter  # noqa: F401
    except ImportError:
        return None
    with open(card) as f:
        facts = json.load(f)
    checks = (facts.get("parity") or {}).get("tflite", {}).get("float32", {})
    return file if checks.get("passed") and facts.get("tflite_input_shape") == [-1, -1] else None


class _LiteRTDoor:
    """The LiteRT float32 file behind the same `__call__` as `SavedModelEncoder` (NumPy outputs where
    the SavedModel gives tensors; `np.asarray` reads both)."""

    def __init__(self, file, num_threads=None):
        from zoo.export.tflite import LiteRTEncoder
        try:
            self.lite = LiteRTEncoder(file, num_threads=num_threads)
        except (ValueError, RuntimeError) as error:        # a truncated or foreign .tflite file
            raise ServingContractError(f"{file} cannot be opened as a LiteRT model: {str(error)[:300]}") from error

    def __call__(self, waveform, training=False):
        del training
        out = self.lite.run(np.asarray(waveform, np.float32))
        return out


class ExportedEncoder:
    """An export folder, run through LiteRT or the SavedModel; see the module docstring."""

    def __init__(self, path, chunk_seconds=10.0, batch_size=16, door="auto", num_threads=None):
        import json
        path = os.fspath(path)
        if not os.path.exists(os.path.join(path, "saved_model.pb")):
            raise NotFoundError(f"{path!r} is not an export folder (no saved_model.pb); export one with "
                                    f"`hares-zoo export --encoder=NAME --out={path}`")
        if door not in DOORS:
            raise ServingContractError(f"door={door!r}; expected one of {', '.join(DOORS)}")
        self.path = path
        litert = verified_litert(path) if door in ("auto", "litert") else None
        if door == "litert" and litert is None:
            raise NotFoundError(f"{os.path.join(path, LITERT_FILE)}: no verified, resizable LiteRT float32 file "
                                "there, or ai_edge_litert is not installed (`pip install ai-edge-litert`)")
        if litert:
            with open(os.path.join(path, "model_card.json")) as f:
                facts = json.load(f)
            self.model, self.door = _LiteRTDoor(litert, num_threads), "litert"
            self.sample_rate = int(facts["frontend"]["sample_rate_hz"])
            self.embedding_size = int(facts["embedding_size"])
            self.frame_hop_seconds = float(facts["frame_hop_seconds"])
            self.encoder_name = facts["encoder_name"]
        else:
            self.model, self.door = SavedModelEncoder(path), "saved_model"
            module = self.model.module
            self.sample_rate = int(module.sample_rate.numpy())
            self.embedding_size = int(module.embedding_size.numpy())
            self.frame_hop_seconds = float(module.frame_hop_seconds.numpy())
            self.encoder_name = module.encoder_name.numpy().decode()
        self.hop_samples = max(1, int(round(self.frame_hop_seconds * self.sample_rate)))
        self.chunk_samples = max(1, int(round(chunk_seconds * self.sample_rate / self.hop_samples))) * self.hop_samples
        self.batch_size = int(batch_size)

    def __repr__(self):
        return (f"ExportedEncoder({self.encoder_name!r}, D={self.embedding_size}, "
                f"hop={self.frame_hop_seconds:g} s, door={self.door!r}, path={self.path!r})")

    def _prepare(self, clip, sample_rate, name):
        clip = check_waveform(clip, name, sample_rate, expected_rate=None, layout="clip")
        return resample(clip, sample_rate, self.sample_rate)

    def _run(self, batch):
        out = self.model(batch)
        return np.asarray(out["embedding"]), np.asarray(out["frame_embeddings"])

    def _embed_long(self, clip):
        embeddings, frames, weights, times = [], [], [], []
        for start in range(0, clip.size, self.chunk_samples):
            chunk = clip[start:start + self.chunk_samples]
            embedding, chunk_frames = self._run(chunk[None])
            # Centred framing gives a chunk of n hops n + 1 frames; the last one is the next chunk's first.
            keep = chunk_frames.shape[1]
            if start + self.chunk_samples < clip.size:
                keep = min(keep, self.chunk_samples // self.hop_samples)
            embeddings.append(embedding[0])
            frames.append(chunk_frames[0, :keep])
            weights.append(chunk.size)
            times.append(start / self.sample_rate + self.frame_hop_seconds * np.arange(keep))
        embedding = np.average(np.stack(embeddings), axis=0, weights=np.asarray(weights, np.float64))
        return {"embedding": embedding.astype(np.float32), "frame_embeddings": np.concatenate(frames),
                "timestamps": np.concatenate(times)}

    def _result(self, embedding, frames):
        return {"embedding": embedding, "frame_embeddings": frames,
                "timestamps": self.frame_hop_seconds * np.arange(frames.shape[0])}

    def embed(self, waveform, sample_rate=ac.SAMPLE_RATE):
        """Embed one clip (`[samples]`, `[samples, channels]`), a batch `[batch, samples]` of mono clips,
        or a list of clips of any lengths; values in [-1, 1] at `sample_rate` Hz. A 2-D array is read
        as `[batch, samples]` when it has more columns than rows, else as one `[samples, channels]` clip.

        Returns for one clip {"embedding" [D], "frame_embeddings" [frames, D], "timestamps" [frames]
        (seconds from the clip's start)}; for a batch the same keys with a leading batch axis; for a
        list, a list of one-clip results.
        """
        if isinstance(waveform, (list, tuple)):
            clips = [self._prepare(c, sample_rate, f"waveform[{i}]") for i, c in enumerate(waveform)]
            return self._embed_many(clips)
        array = np.asarray(waveform)
        if array.ndim == 2 and array.shape[0] < array.shape[1] and array.shape[1] > 8:
            results = self._embed_many([self._prepare(c, sample_rate, f"waveform[{i}]")
                                        for i, c in enumerate(array)])
            return {key: np.stack([r[key] for r in results]) for key in results[0]}
        return self._embed_many([self._prepare(array, sample_rate, "waveform")])[0]

    def _embed_many(self, clips):
        results = [None] * len(clips)
        by_length = {}
        for i, clip in enumerate(clips):
            if clip.size > self.chunk_samples:
                results[i] = self._embed_long(clip)
            else:
                by_length.setdefault(clip.size, []).append(i)
        for indices in by_length.values():
            for first in range(0, len(indices), self.batch_size):
                chunk = indices[first:first + self.batch_size]
                embeddings, frames = self._run(np.stack([clips[i] for i in chunk]))
                for row, i in enumerate(chunk):
                    results[i] = self._result(embeddings[row], frames[row])
        return results

    def embed_file(self, path, start=None, end=None):
        """Embed an audio file (WAV, FLAC, OGG; any rate, stereo mixed down), optionally the segment
        from `start` to `end` seconds; returns the one-clip result of `embed`."""
        return self.embed(read_audio(path, self.sample_rate, start, end), self.sample_rate)


def load(path, chunk_seconds=10.0, batch_size=16, door="auto", num_threads=None):
    """Load an export folder; returns an `ExportedEncoder` (module docstring)."""
    return ExportedEncoder(path, chunk_seconds=chunk_seconds, batch_size=batch_size, door=door,
                           num_threads=num_threads)
