"""The NF residual block and one NFNet pathway (stem + stages + final conv), composed from
`layers.py` and configured by the variant tables of `variants.py`.

Layout: NHWC with H = time and W = frequency (docs/paper-facts.md section 4c).
"""

import keras

from zoo.encoders.nfnet.layers import GammaActivation, SkipInitGain, SqueezeExcite, StochasticDepth, WSConv2D
from zoo.errors import ConfigError


SHORTCUT_POOLS = ("average", "max")     # the strided shortcut's pool: the official average, or max (int8)


@keras.saving.register_keras_serializable(package="zoo")
class NFBlock(keras.layers.Layer):
    """Pre-activation NF bottleneck: `out = x_shortcut + alpha * skip_gain * SD(SE(branch(act(x) * beta)))`.

    branch: 1x1 conv -> act -> `kernel` conv (grouped, strided) -> act -> `second_kernel` conv
    (grouped) -> act -> 1x1 conv. Shortcut: average-pool by `stride` then a 1x1 conv when the stride
    is > 1 or `in_channels` differs from `out_channels`; `x` itself otherwise. `in_channels` is the
    nominal input width of the official code: with fast-to-slow fusion the actual input is wider,
    and the projection conv absorbs it.
    """

    def __init__(self, in_channels, out_channels, kernel=(3, 1), second_kernel=(1, 3), stride=(1, 1),
                 group_size=128, expansion=0.5, se_ratio=0.5, alpha=0.2, beta=1.0,
                 stochdepth_rate=0.0, activation="gelu", approximate_gelu=True, shortcut_pool="average", **kwargs):
        super().__init__(**kwargs)
        if shortcut_pool not in SHORTCUT_POOLS:
            raise ConfigError(f"NFBlock: shortcut_pool {shortcut_pool!r}; choose one of {', '.join(SHORTCUT_POOLS)}")
        self.shortcut_pool = shortcut_pool
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel, self.second_kernel = tuple(kernel), tuple(second_kernel)
        self.stride = tuple(stride)
        self.group_size, self.expansion, self.se_ratio = int(group_size), float(expansion), float(se_ratio)
        self.alpha, self.beta = float(alpha), float(beta)
        self.stochdepth_rate = float(stochdepth_rate)
        self.activation, self.approximate_gelu = activation, bool(approximate_gelu)
        groups = max(1, int(self.out_channels * self.expansion) // self.group_size)
        width = self.group_size * groups
        if int(self.out_channels * self.expansion) < self.group_size:
            raise ConfigError(f"NFBlock: bottleneck width {int(self.out_channels * self.expansion)} is "
                             f"smaller than group_size {self.group_size}")
        self.act = GammaActivation(activation, approximate_gelu=approximate_gelu, name="act")
        self.conv0 = WSConv2D(width, 1, name="conv0")
        self.conv1 = WSConv2D(width, self.kernel, strides=self.stride, groups=groups, name="conv1")
        self.conv1b = WSConv2D(width, self.second_kernel, groups=groups, name="conv1b")
        self.conv2 = WSConv2D(self.out_channels, 1, name="conv2")
        self.use_projection = self.stride != (1, 1) or self.in_channels != self.out_channels
        self.conv_shortcut = WSConv2D(self.out_channels, 1, name="conv_shortcut") if self.use_projection else None
        pool = keras.layers.AveragePooling2D if shortcut_pool == "average" else keras.layers.MaxPooling2D
        self.pool = pool(self.stride, self.stride, padding="same") if self.stride != (1, 1) else None
        self.se = SqueezeExcite(self.se_ratio, name="se") if self.se_ratio > 0 else None   # 0: no SE
        self.stoch_depth = StochasticDepth(self.stochdepth_rate, name="stoch_depth")
        self.skip_gain = SkipInitGain(name="skip_init")

    def call(self, x, training=False):
        out = self.act(x) * self.beta
        shortcut = x
        if self.pool is not None:
            shortcut = self.conv_shortcut(self.pool(out))
        elif self.use_projection:
            shortcut = self.conv_shortcut(out)
        branch = self.conv0(out)
        branch = self.conv1(self.act(branch))
        branch = self.conv1b(self.act(branch))
        branch = self.conv2(self.act(branch))
        if self.se is not None:
            branch = self.se(branch)
        branch = self.stoch_depth(branch, training=training)
        return self.skip_gain(branch) * self.alpha + shortcut

    def get_config(self):
        return {**super().get_config(), "in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel": list(self.kernel), "second_kernel": list(self.second_kernel),
                "stride": list(self.stride), "group_size": self.group_size, "expansion": self.expansion,
                "se_ratio": self.se_ratio, "alpha": self.alpha, "beta": self.beta,
                "stochdepth_rate": self.stochdepth_rate, "activation": self.activation,
                "approximate_gelu": self.approximate_gelu, "shortcut_pool": self.shortcut_pool}


def signal_propagation_schedule(depths, alpha, stochdepth_rate):
    """Per block (beta, stochastic-depth rate), as the official NFNet: beta = 1 / expected_std, with
    expected_std reset to 1 after each stage's first block and grown by alpha^2 in variance after
    every block; the drop rate grows linearly with the block index (0 for the first block)."""
    total, schedule, expected_std, index = sum(depths), [], 1.0, 0
    for depth in depths:
        for block in range(depth):
            schedule.append((1.0 / expected_std, stochdepth_rate * index / total))
            index += 1
            if block == 0:
                expected_std = 1.0
            expected_std = (expected_std ** 2 + alpha ** 2) ** 0.5
    return schedule


@keras.saving.register_keras_serializable(package="zoo")
class NFNetPath(keras.layers.Layer):
    """One NFNet pathway: 4-conv stem (channels width[0]/16, /8, /4, /2; act between, none after),
    stages of NFBlocks, and a 1x1 `final_conv` to `final_conv_mult * width[-1]` channels (none when
    `final_conv_mult` is 0). Call `stem`, `blocks[i]` and `head` separately to interleave fusion."""

    def __init__(self, widths, depths, group_widths, stem_kernels, stem_strides, kernels, strides,
                 second_kernel=(1, 3), expansion=0.5, se_ratio=0.5, alpha=0.2, stochdepth_rate=0.1,
                 final_conv_mult=2, activation="gelu", approximate_gelu=True, shortcut_pool="average", **kwargs):
        super().__init__(**kwargs)
        self.config = dict(widths=list(widths), depths=list(depths), group_widths=list(group_widths),
                           stem_kernels=[list(k) for k in stem_kernels], stem_strides=[list(s) for s in stem_strides],
                           kernels=[list(k) for k in kernels], strides=[list(s) for s in strides],
                           second_kernel=list(second_kernel), expansion=expansion, se_ratio=se_ratio,
                           alpha=alpha, stochdepth_rate=stochdepth_rate, final_conv_mult=final_conv_mult,
                           activation=activation, approximate_gelu=approximate_gelu, shortcut_pool=shortcut_pool)
        ch = widths[0] // 2
        self.stem_convs = [WSConv2D(ch // d, k, strides=s, name=f"stem_conv{i}")
                           for i, (d, k, s) in enumerate(zip((8, 4, 2, 1), stem_kernels, stem_strides))]
        self.act = GammaActivation(activation, approximate_gelu=approximate_gelu, name="act")
        schedule = iter(signal_propagation_schedule(depths, alpha, stochdepth_rate))
        # One flat list (Keras saves lists of layers, not lists of lists); stage i is
        # blocks[stage_starts[i]:stage_starts[i + 1]].
        self.blocks, self.stage_starts, in_ch = [], [0], ch
        for s, (width, depth, group, kernel, stride) in enumerate(zip(widths, depths, group_widths, kernels, strides)):
            for b in range(depth):
                beta, rate = next(schedule)
                self.blocks.append(NFBlock(in_ch, width, kernel, second_kernel, stride if b == 0 else (1, 1),
                                           group, expansion, se_ratio, alpha, beta, rate, activation,
                                           approximate_gelu, shortcut_pool, name=f"stage{s}_block{b}"))
                in_ch = width
            self.stage_starts.append(len(self.blocks))
        self.final_conv = (WSConv2D(int(final_conv_mult * in_ch), 1, name="final_conv")
                           if final_conv_mult else None)
        self.output_channels = int(final_conv_mult * in_ch) if final_conv_mult else in_ch

    def stem(self, x):
        for i, conv in enumerate(self.stem_convs):
            x = conv(x) if i == 0 else conv(self.act(x))
        return x

    def stage_blocks(self, index):
        return self.blocks[self.stage_starts[index]:self.stage_starts[index + 1]]

    def stage(self, index, x, training=False):
        for block in self.stage_blocks(index):
            x = block(x, training=training)
        return x

    def head(self, x, final_activation):
        """final 1x1 conv (if any), then `final_activation` (plain GELU in the official SlowFast)."""
        return final_activation(self.final_conv(x)) if self.final_conv is not None else x

    def call(self, x, training=False):
        x = self.stem(x)
        for i in range(len(self.stage_starts) - 1):
            x = self.stage(i, x, training)
        return x

    def get_config(self):
        return {**super().get_config(), **self.config}

