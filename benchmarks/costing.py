"""Shared measurements for the benchmarks: the machine's matmul GFLOP/s and counted graph FLOPs."""

import time


def matmul_gflops(n=2048, repeats=10):
    """Measured float32 GFLOP/s of an n x n matmul (2 n^3 FLOPs), the machine's yardstick."""
    import tensorflow as tf
    a, b = tf.random.normal([n, n]), tf.random.normal([n, n])
    step = tf.function(lambda: tf.reduce_sum(tf.matmul(a, b)))
    step().numpy()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        step().numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best / 1e9


def _profiled_flops(graph, library):
    """FLOPs of `graph` plus those of every function it calls (Keras runs grouped convs on CPU as
    XLA-compiled `tf.function`s, which the profiler sees only as opaque call ops)."""
    import tensorflow as tf
    from tensorflow.python.framework.function_def_to_graph import function_def_to_graph
    heavy = {"Conv2D", "DepthwiseConv2dNative", "MatMul", "BatchMatMulV2", "Einsum"}
    unknown = [op.name for op in graph.get_operations()
               if op.type in heavy and not op.outputs[0].shape.is_fully_defined()]
    if unknown:   # the profiler silently counts 0 for ops of unknown shape
        raise RuntimeError(f"{len(unknown)} heavy ops of unknown shape, e.g. {unknown[:3]}")
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    total = tf.compat.v1.profiler.profile(graph, options=options).total_float_ops
    for op in graph.get_operations():
        if op.type in ("PartitionedCall", "StatefulPartitionedCall"):
            body = function_def_to_graph(library[op.get_attr("f").name],
                                         input_shapes=[t.shape for t in op.inputs])
            total += _profiled_flops(body, library)
    return total


def graph_flops(encoder, samples):
    """FLOPs of one forward pass on `[1, samples]`, counted by the TF profiler on the frozen graph."""
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
    fn = tf.function(lambda w: encoder(w, training=False)["embedding"])
    frozen = convert_variables_to_constants_v2(fn.get_concrete_function(tf.TensorSpec([1, samples], tf.float32)))
    library = {f.signature.name: f for f in frozen.graph.as_graph_def().library.function}
    return _profiled_flops(frozen.graph, library)


def write_table(columns, cells, rows=None, json_path=None):
    """Print a Markdown table (`columns`: header names; `cells`: one list of strings per row) and,
    with `json_path`, write `rows` (the measurements behind it) as JSON."""
    import json
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in cells:
        print("| " + " | ".join(row) + " |")
    if json_path:
        with open(json_path, "w") as f:
            json.dump(rows, f, indent=1, default=str)
