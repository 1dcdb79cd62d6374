"""hares-zoo: universal audio encoders for 16 kHz waveforms.

The front door (timm-style):

    >>> import zoo
    >>> zoo.list_encoders()
    >>> encoder = zoo.create_encoder("logmel_conv_tiny")
    >>> out = encoder(waveform)      # waveform: float32 [batch, samples], 16 kHz, in [-1, 1]
    >>> out["embedding"]             # [batch, D]
    >>> out["frame_embeddings"]      # [batch, frames, D]
"""

__version__ = "0.1.0"

from zoo.registry import create_encoder, encoder_info, list_encoders  # noqa: E402

__all__ = ["create_encoder", "encoder_info", "list_encoders", "__version__"]
