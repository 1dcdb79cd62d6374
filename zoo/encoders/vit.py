"""Vision Transformer on log-mel patches, AST-style (Gong et al., Interspeech 2021).

The log-mel image `[batch, time, mel]` is cut into 16 x 16 patches (time x mel; non-overlapping
by default, AST's overlap through `patch_stride`), linearly embedded, given learned position
embeddings and run through pre-norm transformer blocks (ViT: LayerNorm eps 1e-6, exact GELU MLP).
`vit_base` is ViT-Base (docs/paper-facts.md section 4a: "ViT-Base, 86m, Spectrogram", 768-d).

Any clip length. Position embeddings are a learned grid `[max_time_patches, mel_patches, D]`
(64 time patches = 10.24 s by default, AST's input length). A clip with fewer time patches uses
the first rows of the grid; a longer clip uses the grid linearly interpolated along time to its
number of patches (the mel axis is never resized). Spectrograms are zero-padded at the end of
time to a whole number of patches (zero is the mean after per-example standardisation).

Pooling: `"mean"` (default) averages the final (layer-normed) patch tokens, and equals the mean of
the frame embeddings; `"cls"` prepends a class token and uses its final state as the embedding.
Frames: tokens averaged over mel patches, one per time patch: a 160 ms hop.
"""

import keras
import tensorflow as tf
from keras import ops

from zoo import audio_constants as ac
from zoo.encoders.base import LogMelEncoder
from zoo.encoder_specs import register_encoder
from zoo.errors import ConfigError

LAYER_NORM_EPSILON = 1e-6   # ViT
INIT_STDDEV = 0.02          # ViT / AST position-embedding and class-token init
AST_TIME_PATCHES = 64       # 1024 frames / 16 (AST's 10.24 s input)


@keras.saving.register_keras_serializable(package="zoo")
class TransformerBlock(keras.layers.Layer):
    """Pre-norm block: `x + MHA(LN(x))`, then `x + MLP(LN(x))`; `[batch, tokens, D]` in and out."""

    def __init__(self, hidden_size, num_heads, mlp_dim, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.hidden_size, self.num_heads, self.mlp_dim, self.dropout_rate = hidden_size, num_heads, mlp_dim, dropout
        self.norm1 = keras.layers.LayerNormalization(epsilon=LAYER_NORM_EPSILON, name="norm1")
        self.attention = keras.layers.MultiHeadAttention(num_heads, hidden_size // num_heads,
                                                         dropout=dropout, name="attention")
        self.norm2 = keras.layers.LayerNormalization(epsilon=LAYER_NORM_EPSILON, name="norm2")
        self.mlp_in = keras.layers.Dense(mlp_dim, name="mlp_in")
        self.mlp_out = keras.layers.Dense(hidden_size, name="mlp_out")
        self.dropout = keras.layers.Dropout(dropout)

    def call(self, x, training=False):
        y = self.norm1(x)
        x = x + self.dropout(self.attention(y, y, training=training), training=training)
        y = self.mlp_out(ops.gelu(self.mlp_in(self.norm2(x)), approximate=False))
        return x + self.dropout(y, training=training)

    def get_config(self):
        return {**super().get_config(), "hidden_size": self.hidden_size, "num_heads": self.num_heads,
                "mlp_dim": self.mlp_dim, "dropout": self.dropout_rate}


@keras.saving.register_keras_serializable(package="zoo")
class ViTEncoder(LogMelEncoder):
    """Waveform -> log-mel -> patches -> transformer -> frames `[batch, time_patches, hidden_size]`."""

    def __init__(self, hidden_size=768, num_layers=12, num_heads=12, mlp_dim=3072, patch_size=(16, 16),
                 patch_stride=None, max_time_patches=AST_TIME_PATCHES, pooling="mean", dropout=0.0,
                 n_mels=ac.N_MELS, **kwargs):
        super().__init__(n_mels=n_mels, **kwargs)
        if pooling not in ("mean", "cls"):
            raise ConfigError(f"pooling must be 'mean' or 'cls', got {pooling!r}")
        if hidden_size % num_heads:
            raise ConfigError(f"hidden_size {hidden_size} is not divisible by num_heads {num_heads}")
        self.hidden_size, self.num_layers, self.num_heads = int(hidden_size), int(num_layers), int(num_heads)
        self.mlp_dim, self.dropout_rate, self.pooling = int(mlp_dim), float(dropout), pooling
        self.patch_size = tuple(int(p) for p in patch_size)
        self.patch_stride = tuple(int(p) for p in (patch_stride or patch_size))
        self.max_time_patches = int(max_time_patches)
        if self.n_mels < self.patch_size[1]:
            raise ConfigError(f"n_mels {self.n_mels} is smaller than the patch height {self.patch_size[1]}")
        self.mel_patches = (self.n_mels - self.patch_size[1]) // self.patch_stride[1] + 1
        self.patch_embed = keras.layers.Conv2D(self.hidden_size, self.patch_size, self.patch_stride,
                                               name="patch_embed")
        self.blocks = [TransformerBlock(self.hidden_size, self.num_heads, self.mlp_dim, self.dropout_rate,
                                        name=f"block{i}") for i in range(self.num_layers)]
        self.final_norm = keras.layers.LayerNormalization(epsilon=LAYER_NORM_EPSILON, name="final_norm")
        self.embedding_size = self.hidden_size
        self.frame_hop_seconds = ac.HOP_SECONDS * self.patch_stride[0]

    def build(self, input_shape=None):
        if not self.built:
            init = keras.initializers.TruncatedNormal(stddev=INIT_STDDEV)
            self.position_embedding = self.add_weight(
                name="position_embedding", initializer=init,
                shape=(self.max_time_patches, self.mel_patches, self.hidden_size))
            self.class_token = (self.add_weight(name="class_token", shape=(1, 1, self.hidden_size),
                                                initializer=init) if self.pooling == "cls" else None)
        super().build(input_shape)

    def time_positions(self, time_patches):
        """Position grid `[time_patches, mel_patches, D]`: rows of the learned grid, or the grid
        linearly interpolated along time when the clip is longer than `max_time_patches`."""
        grid = ops.convert_to_tensor(self.position_embedding)
        stretch = lambda: tf.image.resize(grid, [time_patches, self.mel_patches], method="bilinear")
        if isinstance(time_patches, int):
            return grid[:time_patches] if time_patches <= self.max_time_patches else stretch()
        return tf.cond(time_patches <= self.max_time_patches, lambda: grid[:time_patches], stretch)

    def encode_spectrogram(self, spectrogram, training=False):
        step, size = self.patch_stride[0], self.patch_size[0]
        frames = tf.shape(spectrogram)[1]
        covered = tf.maximum(frames - size, 0)
        padded_frames = size + (covered + step - 1) // step * step
        x = tf.pad(spectrogram, [[0, 0], [0, padded_frames - frames], [0, 0]])
        x = self.patch_embed(ops.expand_dims(x, -1))                  # [batch, Tp, Fp, D]
        time_patches = x.shape[1] if x.shape[1] is not None else tf.shape(x)[1]
        x = x + ops.cast(self.time_positions(time_patches), x.dtype)
        batch, shape = tf.shape(x)[0], tf.shape(x)
        tokens = tf.reshape(x, [batch, shape[1] * self.mel_patches, self.hidden_size])
        if self.class_token is not None:
            cls = ops.cast(tf.tile(self.class_token, [batch, 1, 1]), tokens.dtype)
            tokens = ops.concatenate([cls, tokens], axis=1)
        for block in self.blocks:
            tokens = block(tokens, training=training)
        tokens = self.final_norm(tokens)
        embedding = None
        if self.class_token is not None:
            embedding, tokens = tokens[:, 0], tokens[:, 1:]
        frames = ops.mean(tf.reshape(tokens, [batch, shape[1], self.mel_patches, self.hidden_size]), axis=2)
        return frames if embedding is None else (embedding, frames)

    def get_config(self):
        return {**super().get_config(), "hidden_size": self.hidden_size, "num_layers": self.num_layers,
                "num_heads": self.num_heads, "mlp_dim": self.mlp_dim, "patch_size": list(self.patch_size),
                "patch_stride": list(self.patch_stride), "max_time_patches": self.max_time_patches,
                "pooling": self.pooling, "dropout": self.dropout_rate}


def _register(name, hidden, layers, heads, mlp, num_params, description, paper_params=None):
    register_encoder(
        name, family="vit", input_kind="log-mel", embedding_size=hidden, frame_hop_seconds=0.16,
        num_params=num_params, paper_params=paper_params, description=description,
        defaults=dict(hidden_size=hidden, num_layers=layers, num_heads=heads, mlp_dim=mlp, patch_size=(16, 16),
                      patch_stride=None, max_time_patches=AST_TIME_PATCHES, pooling="mean", dropout=0.0,
                      n_mels=ac.N_MELS),
    )(lambda **config: ViTEncoder(name=name, **config))


_register("vit_base", 768, 12, 12, 3072, 85_499_136, paper_params="86m",
          description="ViT-Base (12 x 768, 12 heads) on 16x16 log-mel patches, AST-style, mean pooling, 768-d.")
_register("vit_small", 384, 12, 6, 1536, 21_515_904,
          description="ViT-Small (12 x 384, 6 heads) on 16x16 log-mel patches, 384-d.")
_register("vit_tiny", 192, 12, 3, 768, 5_449_536,
          description="ViT-Tiny (12 x 192, 3 heads) on 16x16 log-mel patches, 192-d.")
_register("vit_micro", 128, 4, 2, 256, 604_032,
          description="A 4 x 128 transformer (2 heads) on 16x16 log-mel patches for CPU tests and devices.")
