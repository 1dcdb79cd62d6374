"""Full-batch L-BFGS for the probe's linear heads: `ProbeSettings(solver="lbfgs")`, `--probe_solver=lbfgs`.

The objective is scikit-learn's `LogisticRegression`'s: the mean cross-entropy over the training
rows plus `||W||^2 / (2 C n)`, the bias not penalised, C = 1 by default; for multi-label tasks
one binary (sigmoid) regression per class, summed (scikit-learn's `OneVsRestClassifier`); for
Fluent Speech Commands one softmax regression per slot, summed. The fit therefore heads for the
same optimum as scikit-learn's, with the same algorithm (L-BFGS, 10 correction pairs, the
largest gradient entry <= 1e-4 to stop), computing in float32 where scikit-learn computes in
float64; the loss is summed in float64 so that the line search still resolves small decreases.

Where the time goes: each loss-and-gradient evaluation is one TensorFlow graph function of two
matrix products over all rows, `logits = x W^T` and `grad = E^T x` (`E` the logits' gradient,
`[rows, classes]`), written by hand so that neither transposes the large `x [rows, D]` (the
`x^T E` that automatic differentiation writes is the slower product on a CPU). At 16,384 x 1,536
rows and 64 padded classes an evaluation takes about 65 ms on 2 cores, where the same products
in float64 (scikit-learn's precision) take about 128 ms. The L-BFGS bookkeeping (two-loop
recursion, strong-Wolfe line search) is a few vector operations per iteration, in NumPy.
"""

import numpy as np

MEMORY = 10                 # correction pairs kept (scipy's L-BFGS-B default, used by scikit-learn)
ARMIJO = 1e-4               # sufficient-decrease constant of the line search (Nocedal and Wright's)
CURVATURE = 0.9             # curvature constant of the strong Wolfe conditions (scipy's L-BFGS-B uses 0.9)
MAX_TRIALS = 20             # line-search evaluations before giving up (float32's resolution reached)
STALL = 1e-10               # a relative loss decrease below this ends the fit: float32 weights move no further
_OBJECTIVES = {}


def _objective(x, targets, masks, row_weights, l2, dim, block_sizes, multi_label):
    """value_and_grad(flat params) for weights stored as `[classes, dim + 1]` (bias last)."""
    import tensorflow as tf
    classes = sum(block_sizes)

    def value_and_grad(flat):
        params = tf.reshape(flat, [classes, dim + 1])
        weights, bias = params[:, :dim], params[:, dim]
        logits = tf.matmul(x, weights, transpose_b=True) + bias           # [rows, classes]
        losses, errors, start = [], [], 0
        for size in block_sizes:
            z, t, mask = logits[:, start:start + size], targets[:, start:start + size], masks[start:start + size]
            if multi_label:                                                 # one binary regression per class
                losses.append(tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(t, z) * mask, -1))
                errors.append((tf.sigmoid(z) - t) * mask)
            else:
                z = z + (mask - 1.0) * 1e9                                  # padded classes never win
                losses.append(-tf.reduce_sum(t * tf.nn.log_softmax(z), -1))
                errors.append(tf.nn.softmax(z) - t)
            start += size
        row_losses = tf.cast(tf.add_n(losses) * row_weights, tf.float64)     # summed in float64 (line search)
        loss = tf.reduce_sum(row_losses) + tf.cast(0.5 * l2 * tf.reduce_sum(tf.square(weights)), tf.float64)
        error = tf.concat(errors, 1) * row_weights[:, None]
        grad_weights = tf.matmul(error, x, transpose_a=True) + l2 * weights  # [classes, dim]: x not transposed
        grad = tf.concat([grad_weights, tf.reduce_sum(error, 0)[:, None]], 1)
        return loss, tf.reshape(grad, [-1])

    return value_and_grad


def _two_loop(grad, pairs):
    """-H grad by the L-BFGS two-loop recursion over `pairs` [(s, y, 1 / s'y)], oldest first; the
    initial Hessian is scaled by s'y / y'y of the newest pair (without pairs: a step of length 1,
    as in scipy's L-BFGS-B)."""
    if not pairs:
        return -grad / max(float(np.linalg.norm(grad)), 1e-30)
    q, alphas = grad.copy(), []
    for s, y, rho in reversed(pairs):
        alphas.append(rho * s.dot(q))
        q -= alphas[-1] * y
    s, y, _ = pairs[-1]
    r = q * (s.dot(y) / y.dot(y))
    for (s, y, rho), alpha in zip(pairs, reversed(alphas)):
        r += (alpha - rho * y.dot(r)) * s
    return -r


def _interpolate(lo, f_lo, slope_lo, hi, f_hi):
    """The minimiser of the quadratic through (lo, f_lo) with slope `slope_lo` and (hi, f_hi), kept at
    least a tenth of the interval away from either end."""
    width = hi - lo
    curvature = f_hi - f_lo - slope_lo * width
    step = lo - slope_lo * width * width / (2.0 * curvature) if curvature > 0 else lo + 0.5 * width
    low, high = sorted((lo + 0.1 * width, hi - 0.1 * width))
    return min(max(step, low), high)


def wolfe_search(evaluate, loss, slope, max_trials=MAX_TRIALS):
    """A step along a descent direction meeting the strong Wolfe conditions (sufficient decrease
    `ARMIJO`, curvature `CURVATURE`): steps of 1, 2, 4, ... until the loss rises or the slope turns,
    then the bracket is narrowed by safeguarded quadratic interpolation (Nocedal and Wright,
    Numerical Optimization, algorithms 3.5 and 3.6). `evaluate(step) -> (loss, grad, slope)`.
    Returns (step, loss, grad, trials), or step None when no trial lowered the loss."""
    trials, best = 0, None
    previous = (0.0, loss, slope)
    step = 1.0
    bracket = None
    while trials < max_trials:
        new_loss, new_grad, new_slope = evaluate(step)
        trials += 1
        sufficient = new_loss <= loss + ARMIJO * step * slope
        if sufficient and (best is None or new_loss < best[1]):
            best = (step, new_loss, new_grad)
        if bracket is None:
            if not sufficient or (trials > 1 and new_loss >= previous[1]):
                bracket = [previous, (step, new_loss, new_slope)]
            elif abs(new_slope) <= -CURVATURE * slope:
                return step, new_loss, new_grad, trials
            elif new_slope >= 0:
                bracket = [(step, new_loss, new_slope), previous]
            else:
                previous, step = (step, new_loss, new_slope), 2.0 * step
                continue
        else:
            low, high = bracket
            if not sufficient or new_loss >= low[1]:
                bracket = [low, (step, new_loss, new_slope)]
            elif abs(new_slope) <= -CURVATURE * slope:
                return step, new_loss, new_grad, trials
            else:
                bracket = [(step, new_loss, new_slope), low if new_slope * (high[0] - low[0]) >= 0 else high]
        (lo, f_lo, slope_lo), (hi, f_hi, _) = bracket
        step = _interpolate(lo, f_lo, slope_lo, hi, f_hi)
    if best is None:
        return None, loss, None, trials
    return best + (trials,)


def minimize(value_and_grad, start, max_iterations=1000, tolerance=1e-4):
    """L-BFGS from `start` (float64 vector) on `value_and_grad(params) -> (loss, grad)`, with a
    strong-Wolfe line search (`wolfe_search`). Stops when the largest gradient entry is <=
    `tolerance`, when the loss falls by less than `STALL` (relative) in an iteration or no step
    lowers it (float32's resolution reached), or after `max_iterations` -> (params, report:
    iterations, evaluations, loss, max_gradient, stopped)."""
    params = start
    loss, grad = value_and_grad(params)
    pairs, iterations, evaluations, reason = [], 0, 1, "max_iterations"
    while iterations < max_iterations:
        if np.abs(grad).max() <= tolerance:
            reason = "gradient below tolerance"
            break
        direction = _two_loop(grad, pairs)
        slope = grad.dot(direction)
        if slope >= 0:                                  # not a descent direction: forget the curvature pairs
            pairs, direction = [], _two_loop(grad, [])
            slope = grad.dot(direction)

        def evaluate(step):
            trial_loss, trial_grad = value_and_grad(params + step * direction)
            return trial_loss, trial_grad, trial_grad.dot(direction)

        step, new_loss, new_grad, trials = wolfe_search(evaluate, loss, slope)
        evaluations += trials
        if step is None:
            reason = "line search found no lower loss"
            break
        s, y = step * direction, new_grad - grad
        curvature = s.dot(y)
        if curvature > 1e-10 * y.dot(y):
            pairs = (pairs + [(s, y, 1.0 / curvature)])[-MEMORY:]
        stalled = loss - new_loss <= STALL * max(abs(loss), abs(new_loss), 1.0)
        params, loss, grad, iterations = params + s, new_loss, new_grad, iterations + 1
        if stalled:
            reason = "loss stopped falling"
            break
    if reason == "max_iterations" and np.abs(grad).max() <= tolerance:     # converged on the last one
        reason = "gradient below tolerance"
    return params, {"iterations": iterations, "evaluations": evaluations, "loss": float(loss),
                    "max_gradient": float(np.abs(grad).max()), "stopped": reason}


def _graph_objective(rows, dim, block_sizes, multi_label):
    """The loss and gradient for one padded shape as a TensorFlow graph function, built once and reused
    (a graph, not XLA: compiling costs 0.3 to 0.7 s a shape and gains under 10 % an evaluation)."""
    import tensorflow as tf
    key = (rows, dim, tuple(block_sizes), multi_label)
    if key not in _OBJECTIVES:
        def value_and_grad(flat, x, targets, masks, row_weights, l2):
            return _objective(x, targets, masks, row_weights, l2, dim, block_sizes, multi_label)(flat)
        _OBJECTIVES[key] = tf.function(value_and_grad)
    return _OBJECTIVES[key]


def fit_linear(x, n, targets, masks, multi_label, inverse_l2=1.0, max_iterations=1000, tolerance=1e-4):
    """Fit linear heads by L-BFGS on standardised, zero-padded features `x [rows, dim]` (a float32
    tensor, the first `n` rows real; `zoo.hares.linear_probe.padded_inputs` makes them); `targets` one `[rows, padded classes]` array per head, `masks` one `[padded
    classes]` array per head (1 for real classes). Returns ([(kernel [dim, padded classes], bias)]
    per head, the solver's report: iterations, evaluations, loss, max_gradient, stopped)."""
    import tensorflow as tf
    rows, dim = x.shape
    sizes = [t.shape[1] for t in targets]
    row_weights = np.zeros(rows, np.float32)
    row_weights[:n] = 1.0 / n
    inputs = (tf.convert_to_tensor(x), tf.constant(np.concatenate(targets, 1)), tf.constant(np.concatenate(masks)),
              tf.constant(row_weights), tf.constant(1.0 / (inverse_l2 * n), tf.float32))
    start = np.zeros(sum(sizes) * (dim + 1))
    # The concrete function, called directly: about 0.3 ms less per evaluation than the tf.function.
    objective = _graph_objective(rows, dim, sizes, multi_label).get_concrete_function(
        tf.constant(start, tf.float32), *inputs)

    def value_and_grad(params):
        loss, grad = objective(tf.constant(params, tf.float32), *inputs)
        return float(loss), grad.numpy().astype(np.float64)

    flat, report = minimize(value_and_grad, start, max_iterations, tolerance)
    params = flat.astype(np.float32).reshape(sum(sizes), dim + 1)
    heads, start = [], 0
    for size in sizes:
        heads.append((params[start:start + size, :dim].T, params[start:start + size, dim]))
        start += size
    return heads, report
