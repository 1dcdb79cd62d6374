"""MLP heads for the self-supervised objectives: projector and predictor."""

import keras


@keras.saving.register_keras_serializable(package="zoo")
class MLPHead(keras.layers.Layer):
    """`[batch, D]` -> `[batch, output_size]`: `len(hidden_sizes)` x (Dense -> BatchNorm -> ReLU), then
    a Dense output. SimCLR's projector in the paper has 3 hidden layers of 4096 (docs/paper-facts.md
    section 3); BYOL's projector and predictor have one hidden layer of 4096 and a 256-d output
    (BYOL-A `proj_dim`, `proj_size`). Batch norm is synchronised across replicas (SimCLR v2).

    `rank` > 0 factorises the output Dense through `rank` units with nothing between the two (still a
    linear map, of rank at most `rank`): (D + output_size) x rank weights instead of D x output_size.
    Distillation's teacher heads use it so that a wide encoder's heads (2560 x 1506 for musicnn) do not
    outweigh the encoder in the checkpoint."""

    def __init__(self, hidden_sizes=(4096, 4096, 4096), output_size=128, rank=0, **kwargs):
        super().__init__(**kwargs)
        self.hidden_sizes, self.output_size = tuple(int(h) for h in hidden_sizes), int(output_size)
        self.rank = int(rank)
        if self.rank < 0:
            raise ValueError(f"{self.name}: rank must be >= 0 (0: a full output Dense), got {rank}")
        self.dense = [keras.layers.Dense(h, use_bias=False, name=f"dense{i}") for i, h in enumerate(self.hidden_sizes)]
        self.norms = [keras.layers.BatchNormalization(synchronized=True, name=f"norm{i}")
                      for i in range(len(self.hidden_sizes))]
        self.factor = keras.layers.Dense(self.rank, use_bias=False, name="factor") if self.rank else None
        self.out = keras.layers.Dense(self.output_size, name="out")

    def call(self, x, training=False):
        for dense, norm in zip(self.dense, self.norms):
            x = keras.ops.relu(norm(dense(x), training=training))
        if self.factor is not None:
            x = self.factor(x)
        return self.out(x)

    def get_config(self):
        return {**super().get_config(), "hidden_sizes": list(self.hidden_sizes), "output_size": self.output_size,
                "rank": self.rank}
