"""The probe's full-batch L-BFGS solver (`ProbeSettings(solver="lbfgs")`, `zoo.hares.lbfgs`): the
optimiser itself, the optimum it reaches on scikit-learn's objective, and every linear head."""

import numpy as np
import pytest

from zoo.hares import lbfgs
from zoo.hares.linear_probe import ProbeSettings, build_head, feature_moments, fit_and_score, fit_lbfgs
from zoo.hares.probe import settings_for
from zoo.hares.tasks import get_task


def test_minimize_solves_rosenbrock_with_few_evaluations():
    def rosenbrock(p):
        a, b = p
        loss = (1 - a) ** 2 + 100 * (b - a * a) ** 2
        return loss, np.array([-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)])

    params, report = lbfgs.minimize(rosenbrock, np.array([-1.2, 1.0]), max_iterations=200, tolerance=1e-6)
    np.testing.assert_allclose(params, [1.0, 1.0], atol=1e-4)
    assert report["stopped"] in ("gradient below tolerance", "loss stopped falling") and report["evaluations"] < 120
    _, capped = lbfgs.minimize(rosenbrock, np.array([-1.2, 1.0]), max_iterations=3)
    assert capped["iterations"] == 3 and capped["stopped"] == "max_iterations"


def test_wolfe_search_extrapolates_and_brackets():
    # phi(t) = (t - 50)^2 along a unit direction: at step 1 the slope is still -98 of -100 (the
    # curvature condition wants |slope| <= 90), so the search doubles the step: 1, 2, 4, 8.
    def evaluate(step):
        return (step - 50.0) ** 2, np.array([2 * (step - 50.0)]), 2 * (step - 50.0)

    step, loss, _, trials = lbfgs.wolfe_search(evaluate, 2500.0, -100.0)
    assert step == 8.0 and loss == 42.0 ** 2 and trials == 4
    # Overshooting (phi(t) = (t - 0.3)^2 from slope -0.6): the bracket [0, 1] is narrowed by interpolation.
    step, loss, _, trials = lbfgs.wolfe_search(lambda t: ((t - 0.3) ** 2, np.zeros(1), 2 * (t - 0.3)), 0.09, -0.6)
    assert 0.2 < step < 0.4 and loss < 0.01 and trials <= 3
    # Never lower: no step is returned.
    step, _, _, trials = lbfgs.wolfe_search(lambda t: (1.0 + t, np.ones(1), 1.0), 1.0, -1.0, max_trials=5)
    assert step is None and trials == 5


def _objective_float64(x, labels, kernel, bias, inverse_l2=1.0):
    """scikit-learn's LogisticRegression objective and its largest gradient entry, in float64."""
    n, classes = len(x), kernel.shape[1]
    z = x @ kernel + bias
    z -= z.max(1, keepdims=True)
    probs = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    truth = np.eye(classes)[labels]
    l2 = 1.0 / (inverse_l2 * n)
    loss = -np.mean(np.log(probs[truth > 0])) + 0.5 * l2 * np.sum(kernel ** 2)
    grad = np.concatenate([(x.T @ (probs - truth)) / n + l2 * kernel, (probs - truth).mean(0)[None]])
    return loss, np.abs(grad).max()


@pytest.mark.parametrize("inverse_l2", [1.0, 0.05])
def test_lbfgs_reaches_the_regularised_logistic_optimum(rng, inverse_l2):
    n, dim, classes = 300, 12, 5
    labels = rng.integers(0, classes, n)
    x = (rng.standard_normal((classes, dim))[labels] + 1.5 * rng.standard_normal((n, dim))).astype(np.float32)
    y = np.eye(classes, dtype=np.float32)[labels]
    mean, std = feature_moments(x)
    head = build_head("linear", dim, [classes])
    report = fit_lbfgs(head, x, [y], False, ProbeSettings(solver="lbfgs", inverse_l2=inverse_l2, tolerance=1e-5),
                       standardize=(mean, std))
    kernel, bias = [w.astype(np.float64) for w in head.get_weights()]
    xs = ((x - mean) / std).astype(np.float64)
    loss, max_gradient = _objective_float64(xs, labels, kernel, bias, inverse_l2)
    assert report["iterations"] > 3 and max_gradient < 5e-5          # first-order optimal in float64 too
    assert loss == pytest.approx(report["loss"], rel=1e-5)
    for _ in range(5):                                                # strictly convex: any move costs
        moved = kernel + 1e-2 * rng.standard_normal(kernel.shape)
        assert _objective_float64(xs, labels, moved, bias, inverse_l2)[0] > loss
    with pytest.warns(RuntimeWarning, match="max_iterations=2"):
        fit_lbfgs(build_head("linear", dim, [classes]), x, [y], False, ProbeSettings(solver="lbfgs", max_iterations=2),
                  standardize=(mean, std))
    # The stronger penalty (smaller C) keeps the weights smaller.
    assert np.abs(kernel).max() < (4.0 if inverse_l2 < 1 else 50.0)


def test_lbfgs_multi_label_is_one_regression_per_class(rng):
    n, dim = 240, 8
    x = rng.standard_normal((n, dim)).astype(np.float32)
    tags = np.stack([x[:, 0] + 0.5 * rng.standard_normal(n) > 0, x[:, 1] - x[:, 2] > 0.3], 1).astype(np.float32)
    head = build_head("linear", dim, [2])
    fit_lbfgs(head, x, [tags], True, ProbeSettings(solver="lbfgs", tolerance=1e-6))
    kernel, bias = [w.astype(np.float64) for w in head.get_weights()]
    for c in range(2):      # each class's own binary objective is at its optimum: zero gradient
        p = 1 / (1 + np.exp(-(x @ kernel[:, c] + bias[c])))
        grad = np.r_[x.T @ (p - tags[:, c]) / n + kernel[:, c] / n, np.mean(p - tags[:, c])]
        assert np.abs(grad).max() < 1e-5
    assert kernel[0, 0] > 1 and kernel[1, 1] > 1 and kernel[2, 1] < -1


def _clusters(rng, n, classes, dim=16):
    labels = rng.integers(0, classes, n)
    return rng.standard_normal((classes, dim))[labels] * 2 + 0.3 * rng.standard_normal((n, dim)), labels


def test_lbfgs_fits_softmax_sigmoid_and_three_slot_heads(rng):
    lbfgs_settings = ProbeSettings(solver="lbfgs")
    x, labels = _clusters(rng, 400, 4)
    y = np.eye(4)[labels]
    ids = np.array([str(i) for i in range(400)])
    assert fit_and_score(x[:300], y[:300], x[300:], y[300:], ids[300:], lbfgs_settings) > 0.95
    tags = np.stack([labels % 2, labels // 2, labels == 3], 1).astype(np.float32)   # multi-label
    assert fit_and_score(x[:300], tags[:300], x[300:], tags[300:], ids[300:], lbfgs_settings, multi_label=True) > 0.95
    names = [f"{a}|{o}|{'hall' if a == 'on' else 'kitchen'}" for a in ("on", "off") for o in ("lights", "music")]
    assert fit_and_score(x[:300], y[:300], x[300:], y[300:], ids[300:], lbfgs_settings, head="three_slots",
                         label_names=names) > 0.95
    # AudioSet's hidden-layer head is not linear: it trains with Adam whatever the solver says.
    assert fit_and_score(x[:300], y[:300], x[300:], y[300:], ids[300:],
                         ProbeSettings(solver="lbfgs", steps=200), head="mlp512") > 0.9


def test_solver_settings_are_checked_and_the_paper_protocol_uses_adam():
    with pytest.raises(ValueError, match="probe solver 'sgd'"):
        ProbeSettings(solver="sgd")
    with pytest.raises(ValueError, match="inverse_l2"):
        ProbeSettings(solver="lbfgs", inverse_l2=0)
    task = get_task("speech_commands_v1")
    assert settings_for(task, ProbeSettings(solver="lbfgs")).solver == "lbfgs"
    assert settings_for(task, ProbeSettings(solver="lbfgs", paper_protocol=True)).solver == "adam"
