"""Shared fixtures: quiet TensorFlow, a private cache folder, a tiny mini-HARES corpus."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


def pytest_configure(config):
    # Registered here too: .ci/run runs the notebook tests with this file alone, outside the checkout.
    config.addinivalue_line("markers", "notebooks: the notebooks run top to bottom (-m notebooks)")


@pytest.fixture(autouse=True, scope="session")
def private_cache(tmp_path_factory):
    os.environ["HARES_ZOO_CACHE"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def tiny_minihares(tmp_path_factory):
    """{task or "pool": shard folder} of the tiny corpus, built once per session."""
    from zoo.hares.mini import prepare_minihares
    return prepare_minihares(str(tmp_path_factory.mktemp("minihares")), size="tiny", workers=1,
                             progress=False)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
