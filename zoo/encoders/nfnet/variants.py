"""Architecture tables, one row per variant (docs/paper-facts.md sections 4b and 4c).

`SLOWFAST["F0"]` is verbatim the official `slowfast_nfnet_params` ('F0-slow', 'F0-fast'); kernels
and strides are (time, frequency). The official code derives the fusion widths as
`fast.width[0] * [1, 4, 8, 16] * fusion_conv_channel_ratio(2)` = [64, 256, 512, 1024]; the tables
state them explicitly so that scaled-down rows can choose their own.
`NFNET["F0"]` is the single-path NFNet-F0 of deepmind-research/nfnets (3x3 kernels, stride 2 in
both axes from stage 2 on) applied to a 1-channel spectrogram.
"""

_SLOW_F0 = dict(
    widths=[256, 512, 1536, 1536], depths=[1, 2, 6, 3], group_widths=[128] * 4,
    stem_kernels=[[1, 3], [1, 3], [1, 3], [3, 3]], stem_strides=[[2, 2], [1, 1], [1, 1], [2, 2]],
    kernels=[[1, 1], [1, 1], [3, 1], [3, 1]], strides=[[1, 1], [1, 2], [1, 2], [1, 2]])
_FAST_F0 = dict(
    _SLOW_F0, widths=[32, 64, 192, 192], group_widths=[16] * 4,
    stem_kernels=[[3, 3], [1, 3], [1, 3], [3, 3]], kernels=[[3, 1]] * 4)

SLOWFAST = {
    "F0": dict(slow=_SLOW_F0, fast=_FAST_F0, fusion_channels=[64, 256, 512, 1024]),
    # CPU / on-device scale: same topology, widths / 4 (slow) and / 2 (fast), one block per stage.
    "tiny": dict(
        slow=dict(_SLOW_F0, widths=[64, 128, 256, 256], depths=[1, 1, 1, 1], group_widths=[32] * 4),
        fast=dict(_FAST_F0, widths=[16, 32, 64, 64], depths=[1, 1, 1, 1], group_widths=[8] * 4),
        fusion_channels=[16, 32, 64, 128]),
}
# tiny with the first stem conv at stride (1, 1) instead of (2, 2): 4x the early time-frequency
# resolution, the best Slowfast point of the random-init sweep (benchmarks/archive/random_init_sweep.py).
SLOWFAST["tiny_fine"] = dict(
    slow=dict(SLOWFAST["tiny"]["slow"], stem_strides=[[1, 1]] + SLOWFAST["tiny"]["slow"]["stem_strides"][1:]),
    fast=dict(SLOWFAST["tiny"]["fast"], stem_strides=[[1, 1]] + SLOWFAST["tiny"]["fast"]["stem_strides"][1:]),
    fusion_channels=SLOWFAST["tiny"]["fusion_channels"])

# tiny_fine built for full-integer LiteRT (docs/export.md, "int8: what keeps it from paying"):
# LeakyReLU (slope 0.01) instead of GELU (tflite-micro has no GELU kernel; of the rectifiers only
# LeakyReLU runs inside XNNPACK in int8 when it stands alone, as the NF pre-activation does:
# benchmarks/archive/int8_ops.py), no squeeze-excitation, dense instead of grouped convolutions (int8
# grouped ones run at 0.64x float32), and max instead of average pooling in the strided shortcuts
# (XNNPACK takes int8 max pooling, not average). Same widths, depths, kernels and strides; not a
# paper variant.
SLOWFAST["tiny_fine_q"] = dict(
    slow=dict(SLOWFAST["tiny_fine"]["slow"], activation="leaky_relu", se_ratio=0.0, shortcut_pool="max",
              group_widths=[w // 2 for w in SLOWFAST["tiny_fine"]["slow"]["widths"]]),
    fast=dict(SLOWFAST["tiny_fine"]["fast"], activation="leaky_relu", se_ratio=0.0, shortcut_pool="max",
              group_widths=[w // 2 for w in SLOWFAST["tiny_fine"]["fast"]["widths"]]),
    fusion_channels=SLOWFAST["tiny_fine"]["fusion_channels"])

# tiny_fine_q at twice every path and fusion width (3.16 M parameters with mean + std pooling): the
# wider member of the quantisation-friendly family. XNNPACK's int8 convolutions pay with width (at
# 128 channels its int8 3x1 convolution runs about 11x float32, at 32 channels 2x:
# benchmarks/archive/int8_ops.py), so this is the member whose full-integer file can run at twice float32.
SLOWFAST["small_fine_q"] = dict(
    slow=dict(SLOWFAST["tiny_fine_q"]["slow"], widths=[2 * w for w in SLOWFAST["tiny_fine_q"]["slow"]["widths"]],
              group_widths=[w for w in SLOWFAST["tiny_fine_q"]["slow"]["widths"]]),
    fast=dict(SLOWFAST["tiny_fine_q"]["fast"], widths=[2 * w for w in SLOWFAST["tiny_fine_q"]["fast"]["widths"]],
              group_widths=[w for w in SLOWFAST["tiny_fine_q"]["fast"]["widths"]]),
    fusion_channels=[2 * c for c in SLOWFAST["tiny_fine_q"]["fusion_channels"]])

_NFNET_F0 = dict(
    widths=[256, 512, 1536, 1536], depths=[1, 2, 6, 3], group_widths=[128] * 4,
    stem_kernels=[[3, 3]] * 4, stem_strides=[[2, 2], [1, 1], [1, 1], [2, 2]],
    kernels=[[3, 3]] * 4, second_kernel=[3, 3], strides=[[1, 1], [2, 2], [2, 2], [2, 2]])

NFNET = {
    "F0": _NFNET_F0,
    "tiny": dict(_NFNET_F0, widths=[64, 128, 256, 256], depths=[1, 1, 1, 1], group_widths=[32] * 4),
}
