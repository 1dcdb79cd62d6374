"""EfficientNet-B0 and ViT: golden parameter counts and the ViT's any-length position embeddings."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo


def test_efficientnet_b0_is_keras_b0_on_one_channel_without_imagenet_preprocessing():
    ours = zoo.create_encoder("efficientnet_b0")
    ours.build()
    reference = keras.applications.EfficientNetB0(include_top=False, weights=None, input_shape=(None, None, 1))
    # keras.applications holds a Normalization layer (mean, variance, count for 1 channel) that we leave out.
    normalization = sum(int(np.prod(w.shape)) for w in reference.get_layer("normalization").weights)
    assert normalization == 3
    assert ours.count_params() == reference.count_params() - normalization == 4_048_988
    assert abs(ours.count_params() / 4.0e6 - 1) < 0.05        # paper Table 2: 4.0m
    assert not any(isinstance(layer, (keras.layers.Rescaling, keras.layers.Normalization))
                   for layer in ours._flatten_layers())
    assert len(ours.blocks) == 16 and ours.embedding_size == 1280
    out = ours(np.zeros((1, 48000), np.float32))
    assert out["frame_embeddings"].shape == (1, 10, 1280)      # 301 frames / 32 -> 10


def test_vit_base_size_and_shapes():
    vit = zoo.create_encoder("vit_base")
    out = vit(np.zeros((1, 16000), np.float32))
    assert out["embedding"].shape == (1, 768)
    assert out["frame_embeddings"].shape == (1, 7, 768)          # 101 frames padded to 112 -> 7 patches
    assert abs(vit.count_params() / 86e6 - 1) < 0.01             # paper Table 2: 86m
    assert vit.position_embedding.shape == (64, 5, 768)          # 10.24 s x (80 mels / 16)


@pytest.fixture(scope="module")
def micro():
    return zoo.create_encoder("vit_micro")


def test_vit_positions_are_rows_then_interpolated(micro):
    micro.build()
    grid = micro.position_embedding.numpy()
    np.testing.assert_array_equal(micro.time_positions(10).numpy(), grid[:10])
    stretched = micro.time_positions(127).numpy()                # 2 x 64 - 1: every other row is a grid row
    np.testing.assert_allclose(stretched[0], grid[0], atol=1e-6)
    np.testing.assert_allclose(stretched[-1], grid[-1], atol=1e-6)
    assert stretched.shape == (127, 5, 128)
    assert np.abs(np.diff(stretched, axis=0)).max() < np.abs(np.diff(grid, axis=0)).max()


def test_vit_any_length_in_a_graph_matches_eager(micro):
    serve = tf.function(lambda w: micro(w), input_signature=[tf.TensorSpec([None, None], tf.float32)])
    rng = np.random.default_rng(0)
    for samples in (1, 2500, 16000, 180_000):                    # 180 000 samples: 71 patches > 64
        x = rng.normal(0, 0.1, (2, samples)).astype(np.float32)
        eager, graph = micro(x), serve(tf.constant(x))
        np.testing.assert_allclose(graph["embedding"], eager["embedding"], atol=1e-4)
        assert graph["frame_embeddings"].shape[1] == max(1, -(-(samples // 160 + 1) // 16))


def test_vit_class_token_pooling():
    vit = zoo.create_encoder("vit_micro", pooling="cls")
    out = vit(np.random.default_rng(0).normal(0, 0.1, (2, 16000)).astype(np.float32))
    assert vit.count_params() == zoo.encoder_info("vit_micro")["num_params"] + 128
    assert not np.allclose(out["embedding"], tf.reduce_mean(out["frame_embeddings"], 1), atol=1e-3)
    with pytest.raises(ValueError, match="pooling"):
        zoo.create_encoder("vit_micro", pooling="max")
