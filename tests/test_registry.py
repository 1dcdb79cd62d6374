"""Registry-driven sweep: every registered encoder keeps the contract and its declared metadata."""

import numpy as np
import pytest
import tensorflow as tf
import keras

import zoo
from zoo.errors import UnknownEncoderError
from zoo.registry import get_spec

SMALL = [n for n in zoo.list_encoders() if get_spec(n).num_params < 6_000_000]


def test_front_door():
    assert {"logmel", "logmel_conv_tiny"} <= set(zoo.list_encoders())
    assert zoo.list_encoders(family="baseline")
    info = zoo.encoder_info("logmel_conv_tiny")
    assert info["embedding_size"] == 128 and info["input_kind"] == "log-mel"
    with pytest.raises(UnknownEncoderError, match="Did you mean logmel_conv_tiny"):
        zoo.create_encoder("logmel_conv_tin")
    with pytest.raises(TypeError, match="unknown option"):
        zoo.create_encoder("logmel", width=3)


@pytest.mark.parametrize("name", zoo.list_encoders())
def test_create_encoder_returns_a_built_model(name):
    """As keras-hub backbones: weights exist before the first call (full-size ones too)."""
    encoder = zoo.create_encoder(name)
    assert encoder.built
    assert encoder.count_params() == get_spec(name).num_params    # raised on an unbuilt model
    assert len(encoder.get_weights()) == len(encoder.weights)


@pytest.mark.parametrize("name", SMALL)
def test_contract_and_declared_metadata(name):
    spec = get_spec(name)
    encoder = zoo.create_encoder(name)
    # 3 s: a multiple of every encoder's time stride, so the embedding is the mean of the frames.
    out = encoder(np.random.default_rng(0).uniform(-0.5, 0.5, (2, 48000)).astype(np.float32))
    assert set(out) == {"embedding", "frame_embeddings"}
    assert out["embedding"].shape == (2, spec.embedding_size)
    assert out["embedding"].dtype == tf.float32
    frames = out["frame_embeddings"].shape[1]
    assert out["frame_embeddings"].shape == (2, frames, spec.embedding_size)
    np.testing.assert_allclose(out["embedding"], tf.reduce_mean(out["frame_embeddings"], 1), atol=1e-5)
    assert encoder.count_params() == spec.num_params
    assert encoder.embedding_size == spec.embedding_size
    assert encoder.frame_hop_seconds == pytest.approx(spec.frame_hop_seconds)
    assert abs(frames - 3.0 / spec.frame_hop_seconds) <= 1  # 3 s of audio -> about 3/hop frames
    for samples in (1, 7):
        short = encoder(np.zeros((1, samples), np.float32))
        assert short["embedding"].shape == (1, spec.embedding_size)
        assert np.all(np.isfinite(short["embedding"].numpy()))
    with pytest.raises(ValueError, match=r"\[batch, samples\]"):
        encoder(np.zeros((16000,), np.float32))


@pytest.mark.parametrize("name", SMALL)
def test_config_and_keras_file_round_trip(name, tmp_path):
    encoder = zoo.create_encoder(name)
    x = np.random.default_rng(1).normal(0, 0.1, (1, 4000)).astype(np.float32)
    expected = encoder(x)["embedding"].numpy()
    clone = encoder.__class__.from_config(encoder.get_config())
    clone(x)
    clone.set_weights(encoder.get_weights())
    np.testing.assert_allclose(clone(x)["embedding"].numpy(), expected, atol=1e-5)
    path = str(tmp_path / f"{name}.keras")
    encoder.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded(x)["embedding"].numpy(), expected, atol=1e-5)


@pytest.mark.parametrize("name", [n for n in SMALL if get_spec(n).num_params > 0])
def test_gradients_reach_every_weight(name):
    encoder = zoo.create_encoder(name)
    x = tf.random.normal((2, 8000), stddev=0.1)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(encoder(x, training=True)["embedding"] ** 2)
    grads = tape.gradient(loss, encoder.trainable_weights)
    missing = [w.path for w, g in zip(encoder.trainable_weights, grads) if g is None]
    assert not missing


@pytest.mark.parametrize("name", [n for n in SMALL if get_spec(n).num_params > 0])
def test_runs_under_mixed_bfloat16(name):
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        encoder = zoo.create_encoder(name)
        out = encoder(np.random.default_rng(0).normal(0, 0.1, (1, 8000)).astype(np.float32))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert out["embedding"].dtype == tf.float32
    assert np.all(np.isfinite(out["embedding"].numpy()))


@pytest.mark.parametrize("name", [n for n in zoo.list_encoders() if n not in SMALL])
def test_full_size_encoders_match_declared_metadata(name):
    """Full-size models are built once (1 s of audio), never trained: count, width, frame hop."""
    spec = get_spec(name)
    encoder = zoo.create_encoder(name)
    out = encoder(np.zeros((1, 16000), np.float32))
    assert encoder.count_params() == spec.num_params
    assert out["embedding"].shape == (1, spec.embedding_size)
    assert encoder.frame_hop_seconds == pytest.approx(spec.frame_hop_seconds)
    if spec.paper_params:                          # within 1 % of the paper's Table 2 (e.g. "63m")
        assert abs(spec.num_params / (float(spec.paper_params[:-1]) * 1e6) - 1) < 0.012


@pytest.mark.parametrize("name", SMALL)
def test_every_custom_layer_is_registered_and_round_trips_its_config(name):
    """Each zoo layer inside an encoder is registered for serialisation and rebuilds from its config."""
    encoder = zoo.create_encoder(name)
    layers = [layer for layer in encoder._flatten_layers(include_self=True) if type(layer).__module__.startswith("zoo.")]
    assert layers
    for layer in layers:
        cls = type(layer)
        registered = keras.saving.get_registered_name(cls)
        assert registered == f"zoo>{cls.__name__}", f"{cls.__name__} is not registered"
        assert keras.saving.get_registered_object(registered) is cls
        config = layer.get_config()
        assert cls.from_config(config).get_config() == config


def test_logmel_stats_is_the_mean_and_std_of_the_logmel_frames():
    clip = np.random.default_rng(3).normal(0, 0.1, (2, 12345)).astype(np.float32)
    log_mel = zoo.create_encoder("logmel")(clip)["frame_embeddings"].numpy()           # [2, frames, 80]
    stats = zoo.create_encoder("logmel_stats")(clip)["embedding"].numpy()
    np.testing.assert_allclose(stats[:, :80], log_mel.mean(1), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(stats[:, 80:], log_mel.std(1), rtol=1e-4, atol=1e-4)
    silence = zoo.create_encoder("logmel_stats")(np.zeros((1, 4000), np.float32))["embedding"].numpy()
    assert np.all(np.isfinite(silence)) and np.allclose(silence[0, 80:], 0.0, atol=1e-5)
