"""NF primitives checked numerically, signal propagation at init, and the paper's golden numbers."""

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.encoders.nfnet.blocks import NFBlock, signal_propagation_schedule
from zoo.encoders.nfnet.layers import (NONLINEARITY_GAMMA, GammaActivation, SkipInitGain, SqueezeExcite,
                                       StochasticDepth, WSConv2D)
from zoo.encoders.nfnet.variants import SLOWFAST


def test_ws_conv_standardises_each_output_channel():
    conv = WSConv2D(8, (3, 1), groups=2)
    conv.build((None, 5, 5, 6))
    conv.gain.assign(np.linspace(0.5, 2.0, 8).astype(np.float32))
    w = conv.standardized_kernel().numpy()                 # [3, 1, 3, 8]
    fan_in = 3 * 1 * 3
    np.testing.assert_allclose(w.mean(axis=(0, 1, 2)), 0.0, atol=1e-6)
    np.testing.assert_allclose(w.std(axis=(0, 1, 2)), np.linspace(0.5, 2.0, 8) / np.sqrt(fan_in), rtol=1e-4)
    x = np.random.default_rng(0).normal(size=(1, 5, 5, 6)).astype(np.float32)
    y = conv(x).numpy()
    group0 = tf.nn.conv2d(x[..., :3], w[..., :4], 1, "SAME").numpy()
    np.testing.assert_allclose(y[..., :4], group0, atol=1e-5)  # bias is zero at init
    assert [v.name for v in conv.weights] == ["kernel", "bias", "gain"]


def test_gamma_constants_and_scaling():
    assert NONLINEARITY_GAMMA["gelu"] == 1.7015043497085571
    assert NONLINEARITY_GAMMA["relu"] == 1.7139588594436646
    assert NONLINEARITY_GAMMA["silu"] == 1.7881293296813965
    z = np.random.default_rng(0).normal(size=400_000).astype(np.float32)
    for name in ("relu", "gelu", "silu", "tanh", "leaky_relu"):     # leaky: jax's slope 0.01, not Keras' 0.2
        y = GammaActivation(name)(z).numpy()
        assert abs(y.std() - 1.0) < 0.01, name  # unit std after gamma
    plain = GammaActivation("gelu", scaled=False)(z).numpy()
    np.testing.assert_allclose(plain * NONLINEARITY_GAMMA["gelu"], GammaActivation("gelu")(z).numpy(), rtol=1e-6)


def test_squeeze_excite_rescales_by_two_sigmoid():
    se = SqueezeExcite(0.5)
    x = np.random.default_rng(0).normal(size=(2, 4, 3, 6)).astype(np.float32)
    y = se(x).numpy()
    assert se.fc0.units == 3 and se.fc1.units == 6
    h = x.mean(axis=(1, 2))
    h = np.maximum(h @ se.fc0.kernel.numpy() + se.fc0.bias.numpy(), 0)
    gate = 2.0 / (1.0 + np.exp(-(h @ se.fc1.kernel.numpy() + se.fc1.bias.numpy())))
    np.testing.assert_allclose(y, x * gate[:, None, None, :], rtol=1e-5, atol=1e-6)


def test_stochastic_depth_drops_whole_examples_without_rescaling():
    layer = StochasticDepth(0.5, seed=3)
    x = np.ones((64, 2, 2, 3), np.float32)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    y = layer(x, training=True).numpy()
    per_example = y.reshape(64, -1)
    assert set(np.unique(per_example)) <= {0.0, 1.0}                   # no 1/keep rescale
    assert np.all(per_example.min(1) == per_example.max(1))            # whole example kept or dropped
    assert 10 < (per_example[:, 0] == 0).sum() < 54


def test_skip_init_starts_at_zero_so_blocks_start_as_identity_or_projection():
    gain = SkipInitGain()
    assert gain(np.ones((1, 2), np.float32)).numpy().sum() == 0.0
    block = NFBlock(16, 16, group_size=8)
    x = np.random.default_rng(0).normal(size=(2, 6, 4, 16)).astype(np.float32)
    np.testing.assert_allclose(block(x).numpy(), x, atol=1e-6)


def test_beta_and_stochastic_depth_schedule_match_official_run():
    schedule = signal_propagation_schedule([1, 2, 6, 3], 0.2, 0.1)
    betas = [round(b, 4) for b, _ in schedule]
    assert betas == [1.0, 0.9806, 0.9806, 0.9623, 0.9806, 0.9623, 0.9449, 0.9285, 0.9129, 0.898, 0.9806, 0.9623]
    np.testing.assert_allclose([r for _, r in schedule], [0.1 * i / 12 for i in range(12)])


@pytest.mark.parametrize("path_name", ["slow", "fast"])
@pytest.mark.parametrize("skip_gain", [0.0, 1.0])
def test_signal_propagation_at_init(path_name, skip_gain):
    """Mean squared activation of every block output stays within [0.5, 2] on Gaussian input.

    The input is unit Gaussian, piecewise constant over cells of 4 (time) x 16 (frequency), wider than
    the three frequency poolings of the stages: real feature maps are smooth, and the average-pool
    shortcut of the transition blocks would otherwise divide white noise's variance by the pool
    size, which says nothing about the network."""
    model = zoo.create_encoder("nf_slowfast_f0")
    model.build()
    path = getattr(model, path_name)
    in_channels = path.blocks[0].conv0.kernel.shape[2]   # slow: stem + fused fast channels
    def smooth_gaussian(channels, time, freq, seed):
        cells = tf.random.normal((2, time // 4, freq // 16, channels), seed=seed)
        return tf.repeat(tf.repeat(cells, 4, axis=1), 16, axis=2)

    x = smooth_gaussian(in_channels, 32, 128, 0)
    for block in path.blocks:
        missing = block.conv0.kernel.shape[2] - x.shape[-1]
        if missing:  # slow path: stand in unit-Gaussian fused fast features
            fused = smooth_gaussian(missing, 32, 128, 1)
            x = tf.concat([x, tf.image.resize(fused, x.shape[1:3], "nearest")], axis=-1)
        block.skip_gain.skip_gain.assign(skip_gain)
        x = block(x, training=False)
        ms = float(tf.reduce_mean(x ** 2))
        assert 0.5 <= ms <= 2.0, (block.name, ms)


def test_slowfast_f0_golden_shapes_and_parameters():
    model = zoo.create_encoder("nf_slowfast_f0", n_mels=128)
    model.build()
    assert model.count_params() == 62_970_654           # official code: 62,970,654 (paper: "63m")
    x = tf.zeros((1, 400, 128, 1))                        # the paper's Table 5 input
    slow, fast = model.slow.stem(model.slow_pool(x)), model.fast.stem(x)
    assert slow.shape == (1, 25, 32, 128) and fast.shape == (1, 100, 32, 16)
    expected = [((25, 32, 256), (100, 32, 32)), ((25, 16, 512), (100, 16, 64)),
                ((25, 8, 1536), (100, 8, 192)), ((25, 4, 1536), (100, 4, 192))]
    fused_channels = []
    for stage, fuse in enumerate(model.fusions):
        slow = tf.concat([slow, model.plain_gelu(fuse(fast))], axis=-1)
        fused_channels.append(slow.shape[-1])
        fast, slow = model.fast.stage(stage, fast), model.slow.stage(stage, slow)
        assert (tuple(slow.shape[1:]), tuple(fast.shape[1:])) == expected[stage]
    assert fused_channels == [128 + 64, 256 + 256, 512 + 512, 1536 + 1024]
    assert SLOWFAST["F0"]["fusion_channels"] == [32 * m * 2 for m in (1, 4, 8, 16)]
    waveform = np.zeros((2, 399 * 160), np.float32)       # -> 400 log-mel frames
    out = model(waveform)
    assert out["embedding"].shape == (2, 3456) and out["frame_embeddings"].shape == (2, 100, 3456)


def test_paper_table_variant_and_single_path_nfnet():
    paper = zoo.create_encoder("nf_slowfast_f0", final_conv=False)
    paper.build()
    assert paper.embedding_size == 1728                   # paper Table 5: 1536 + 192
    assert abs(paper.count_params() - 58.2e6) / 58.2e6 < 0.005
    nfnet = zoo.create_encoder("nfnet_f0")
    nfnet.build()
    assert abs(nfnet.count_params() - 68e6) / 68e6 < 0.01  # paper Table 2: "68m"
    assert nfnet.embedding_size == 3072


def test_slowfast_embedding_is_official_pooling_and_frame_mean_on_3s_crops():
    model = zoo.create_encoder("nf_slowfast_tiny")
    x = np.random.default_rng(0).normal(0, 0.1, (2, 48000)).astype(np.float32)
    out = model(x)
    assert out["frame_embeddings"].shape[1] == 76        # 301 log-mel frames -> 76 fast frames
    np.testing.assert_allclose(out["embedding"], tf.reduce_mean(out["frame_embeddings"], 1), rtol=1e-4, atol=1e-5)
    assert model.count_params() < 1_000_000


def test_slowfast_pooling_options_and_a_variant_row_of_ones_own():
    import copy

    from zoo.errors import ConfigError
    x = np.random.default_rng(0).normal(0, 0.1, (2, 16000)).astype("float32")
    mean = zoo.create_encoder("nf_slowfast_tiny")
    stats = zoo.create_encoder("nf_slowfast_tiny", pooling="mean_std")
    stats.set_weights(mean.get_weights())
    fast = mean.fast.output_channels
    a, b = mean(x)["embedding"].numpy(), stats(x)["embedding"].numpy()
    assert b.shape == (2, 1280) and stats.embedding_size == 1280
    np.testing.assert_allclose(b[:, :fast], a[:, :fast], atol=1e-5)          # the mean half is the official one
    fast_frames = stats(x)["frame_embeddings"].numpy()[:, :, :fast]          # the fast path's own frames
    np.testing.assert_allclose(b[:, fast:2 * fast], fast_frames.std(1), atol=1e-5)   # then their std
    one_frame = stats(x[:, :100])                                             # std 0: 0, never 0 / 0
    np.testing.assert_array_equal(one_frame["embedding"].numpy()[:, fast:2 * fast], 0.0)
    row = copy.deepcopy(SLOWFAST["tiny"])
    for path in ("slow", "fast"):
        row[path]["stem_strides"][0] = [1, 2]
    fine = zoo.create_encoder("nf_slowfast_tiny", variant=row)
    assert fine.frame_hop_seconds == pytest.approx(0.02)
    assert fine(x)["frame_embeddings"].shape[1] == 2 * mean(x)["frame_embeddings"].shape[1] - 1
    assert type(fine).from_config(fine.get_config()).variant == row
    with pytest.raises(ConfigError, match="pooling 'max'"):
        zoo.create_encoder("nf_slowfast_tiny", pooling="max")
    with pytest.raises(ConfigError, match="the fast path misses \\['widths'\\]"):
        bad = copy.deepcopy(row)
        del bad["fast"]["widths"]
        zoo.create_encoder("nf_slowfast_tiny", variant=bad)


def test_exportable_poolings_keep_embedding_the_mean_of_frames_and_export_refuses_mean_max(tmp_path):
    from zoo.errors import ServingContractError
    from zoo.export.bundle import export_encoder
    from zoo.export.serving import rebuild_with
    x = np.random.default_rng(1).normal(0, 0.1, (2, 48000)).astype("float32")    # 3 s: 76 fast frames
    base = zoo.create_encoder("nf_slowfast_tiny", pooling="mean_max")
    for pooling in ("mean", "moments", "mean_absdev", "mean_std"):
        served = rebuild_with(base, pooling=pooling)
        out = served(x)
        assert served.embedding_is_frame_mean and out["embedding"].shape == out["frame_embeddings"].shape[::2]
        np.testing.assert_allclose(out["frame_embeddings"].numpy().mean(1), out["embedding"].numpy(), atol=1e-5)
    fast = base.fast.output_channels          # the same weights: the fast path's mean is unchanged
    np.testing.assert_allclose(rebuild_with(base, pooling="mean")(x)["embedding"][:, :fast],
                               rebuild_with(base, pooling="mean_std")(x)["embedding"][:, :fast], atol=1e-5)
    assert not base.embedding_is_frame_mean
    with pytest.raises(ServingContractError, match="pooling='mean_max': its embedding is not the time-mean"):
        export_encoder("nf_slowfast_tiny", str(tmp_path / "out"), overrides={"pooling": "mean_max"},
                       quantizations=(), verify_export=False, progress=lambda message: None)
    assert not (tmp_path / "out").exists()


def test_log_mel_stats_appends_the_logmel_stats_baseline_and_keeps_the_frame_mean_identity():
    """log_mel_stats=True: the same weights, the embedding followed by `logmel_stats`' 160 numbers
    (log-mel mean and std before standardisation); the appended frame columns average to them
    exactly, at lengths that do and do not fill the last frame; saved configs round-trip."""
    from zoo.errors import ConfigError
    from zoo.export.serving import rebuild_with
    base = zoo.create_encoder("nf_slowfast_tiny", variant="tiny_fine", pooling="mean_std")
    served = rebuild_with(base, log_mel_stats=True)
    floor = zoo.create_encoder("logmel_stats")
    assert served.embedding_size == base.embedding_size + 160 == 1440 and served.count_params() == base.count_params()
    assert served.time_stride == 2 and served.get_config()["log_mel_stats"] is True
    assert "log_mel_stats" not in base.get_config()                  # configs saved before the option read as they were
    for samples in (16000, 23457, 400):                              # 101, 147 and 3 log-mel frames
        x = np.random.default_rng(samples).normal(0, 0.1, (2, samples)).astype("float32")
        out, plain = served(x), base(x)
        embedding, frames = out["embedding"].numpy(), out["frame_embeddings"].numpy()
        assert frames.shape == (2, (samples // 160 + 2) // 2, 1440)
        np.testing.assert_array_equal(embedding[:, :1280], plain["embedding"].numpy())
        np.testing.assert_allclose(embedding[:, 1280:], floor(x)["embedding"].numpy(), atol=1e-5)
        np.testing.assert_allclose(frames[:, :, 1280:].mean(1), embedding[:, 1280:], atol=1e-5)
        np.testing.assert_array_equal(frames[:, :, :1280], plain["frame_embeddings"].numpy())
    restored = type(served).from_config(served.get_config())
    assert restored.log_mel_stats and restored.embedding_size == 1440
    with pytest.raises(ConfigError, match="log_mel_stats=True is a serving option and needs a pooling"):
        zoo.create_encoder("nf_slowfast_tiny", pooling="mean_max", log_mel_stats=True)


def test_the_quantisation_friendly_variant_has_leaky_relu_no_squeeze_excite_and_dense_convs():
    """tiny_fine_q: tiny_fine's widths, depths and strides with LeakyReLU (gamma-scaled in the blocks,
    plain at fusion and head), no squeeze-excitation, one group per convolution and max pooling in
    the strided shortcuts (tiny_fine: average, as the official code)."""
    import keras
    fine = zoo.create_encoder("nf_slowfast_tiny", variant="tiny_fine")
    friendly = zoo.create_encoder("nf_slowfast_tiny", variant="tiny_fine_q", pooling="moments")
    out = friendly(np.zeros((1, 16000), np.float32))
    assert out["embedding"].shape == (1, 2 * fine.embedding_size) and friendly.count_params() == 795_137
    blocks = friendly.slow.blocks + friendly.fast.blocks
    assert all(b.se is None and b.conv1.groups == 1 and b.act.activation == "leaky_relu" for b in blocks)
    assert friendly.plain_gelu.activation == "leaky_relu" and not friendly.plain_gelu.scaled
    strided = [b for b in blocks if b.pool is not None]
    assert len(strided) == 6 and all(type(b.pool).__name__ == "MaxPooling2D" for b in strided)
    assert all(type(b.pool).__name__ == "AveragePooling2D" for b in fine.slow.blocks + fine.fast.blocks if b.pool)
    assert all(b.se is not None for b in fine.slow.blocks) and fine.plain_gelu.activation == "gelu"
    assert {type(layer).__name__ for layer in friendly._flatten_layers()} >= {"NFBlock", "WSConv2D"}
    assert "SqueezeExcite" not in {type(layer).__name__ for layer in friendly._flatten_layers()}
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(friendly))
    assert restored(np.zeros((1, 16000), np.float32))["embedding"].shape == out["embedding"].shape


def test_the_wider_quantisation_friendly_member_doubles_every_width_of_tiny_fine_q():
    """small_fine_q: tiny_fine_q at twice every path and fusion width, still dense (one group per
    convolution), LeakyReLU, no squeeze-excitation: 3,164,342 parameters with mean + std pooling."""
    from zoo.encoders.nfnet.variants import SLOWFAST
    narrow, wide = SLOWFAST["tiny_fine_q"], SLOWFAST["small_fine_q"]
    assert wide["slow"]["widths"] == [128, 256, 512, 512] and wide["fast"]["widths"] == [32, 64, 128, 128]
    assert wide["fusion_channels"] == [32, 64, 128, 256] == [2 * c for c in narrow["fusion_channels"]]
    encoder = zoo.create_encoder("nf_slowfast_tiny", variant="small_fine_q", pooling="mean_std")
    out = encoder(np.zeros((1, 16000), np.float32))
    assert encoder.count_params() == 3_164_342 and out["embedding"].shape == (1, 2560)
    blocks = encoder.slow.blocks + encoder.fast.blocks
    assert all(b.se is None and b.conv1.groups == 1 and b.act.activation == "leaky_relu" for b in blocks)
