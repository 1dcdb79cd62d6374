"""hares-zoo: universal audio encoders for 16 kHz waveforms.

The front door (timm-style):

    >>> import zoo
    >>> zoo.list_encoders()
    >>> encoder = zoo.create_encoder("logmel_conv_tiny")
    >>> out = encoder(waveform)      # waveform: float32 [batch, samples], 16 kHz, in [-1, 1]
    >>> out["embedding"]             # [batch, D]
    >>> out["frame_embeddings"]      # [batch, frames, D]
    >>> zoo.load("exports/sf_tiny").embed_file("clip.flac")    # an exported encoder
"""

__version__ = "0.1.0"

from zoo.registry import create_encoder, encoder_info, list_encoders  # noqa: E402


def load(path, chunk_seconds=10.0, batch_size=16):
    """An exported encoder folder -> `zoo.export.ExportedEncoder` with `embed(waveform, sample_rate)`
    and `embed_file(path)` (resampling, stereo mix-down, batching, chunking of long audio)."""
    from zoo.export.loader import load as _load
    return _load(path, chunk_seconds=chunk_seconds, batch_size=batch_size)


__all__ = ["create_encoder", "encoder_info", "list_encoders", "load", "__version__"]
