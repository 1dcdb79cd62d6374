"""Will a LiteRT file run on a microcontroller? The ops a `.tflite` file uses against the builtin ops
that LiteRT for Microcontrollers (tflite-micro) can register.

    report = micro_report("encoder_int8_full.tflite")
    report.blocking          # ["RFFT2D", ...]: ops LiteRT Micro has no kernel for
    report.hybrid            # ops with float activations and int8 weights (dynamic-range files)
    report.supported         # True when neither list has an entry

    python -m zoo.export.micro encoder_float32.tflite encoder_int8.tflite

`MICRO_BUILTINS` is the set of builtin operators that tflite-micro's `MicroMutableOpResolver` offers an
`Add<Op>()` registration for (tensorflow/tflite-micro, `tensorflow/lite/micro/micro_mutable_op_resolver.h`,
2023). A name there says a kernel exists; Micro kernels cover int8 (and float32 for most ops), not
the hybrid kernels of dynamic-range quantisation, which are listed apart: a dynamic-range file's
int8 weights with float activations do not run on Micro's int8 conv and fully-connected kernels.
Custom ops (Micro's signal-processing ones included) are not in the set; a file that uses any is
reported as blocked.
"""

import collections
import dataclasses

MICRO_BUILTINS = frozenset("""
ABS ADD ADD_N ARG_MAX ARG_MIN ASSIGN_VARIABLE AVERAGE_POOL_2D BATCH_TO_SPACE_ND BROADCAST_ARGS
BROADCAST_TO CALL_ONCE CAST CEIL CONCATENATION CONV_2D COS CUMSUM DEPTH_TO_SPACE DEPTHWISE_CONV_2D
DEQUANTIZE DIV ELU EQUAL EXP EXPAND_DIMS FILL FLOOR FLOOR_DIV FLOOR_MOD FULLY_CONNECTED GATHER
GATHER_ND GREATER GREATER_EQUAL HARD_SWISH IF L2_NORMALIZATION L2_POOL_2D LEAKY_RELU LESS LESS_EQUAL
LOG LOGICAL_AND LOGICAL_NOT LOGICAL_OR LOGISTIC LOG_SOFTMAX MAXIMUM MAX_POOL_2D MIRROR_PAD MEAN
MINIMUM MUL NEG NOT_EQUAL PACK PAD PADV2 PRELU QUANTIZE READ_VARIABLE REDUCE_MAX RELU RELU6 RESHAPE
RESIZE_BILINEAR RESIZE_NEAREST_NEIGHBOR ROUND RSQRT SELECT_V2 SHAPE SIN SLICE SOFTMAX
SPACE_TO_BATCH_ND SPACE_TO_DEPTH SPLIT SPLIT_V SQUEEZE SQRT SQUARE SQUARED_DIFFERENCE STRIDED_SLICE
SUB SUM SVDF TANH TRANSPOSE_CONV TRANSPOSE UNPACK UNIDIRECTIONAL_SEQUENCE_LSTM VAR_HANDLE WHILE
ZEROS_LIKE
""".split())

_WEIGHTED = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV", "BATCH_MATMUL",
             "UNIDIRECTIONAL_SEQUENCE_LSTM", "SVDF")


@dataclasses.dataclass
class MicroReport:
    ops: dict            # op name -> how many times the file uses it
    blocking: list       # op names LiteRT Micro has no builtin kernel for, sorted
    hybrid: list         # weighted op names run with float activations and int8 weights, sorted
    input_dtypes: list   # the file's input tensor dtypes, e.g. ["float32"] or ["int8"]

    @property
    def supported(self):
        return not self.blocking and not self.hybrid

    def summary(self):
        if self.supported:
            return f"LiteRT Micro: every op has a Micro kernel ({len(self.ops)} kinds, {sum(self.ops.values())} ops)"
        parts = []
        if self.blocking:
            parts.append("no Micro kernel for " + ", ".join(f"{op} (x{self.ops[op]})" for op in self.blocking))
        if self.hybrid:
            parts.append("hybrid int8-weight / float-activation " + ", ".join(self.hybrid))
        return "LiteRT Micro: blocked: " + "; ".join(parts)


def micro_report(path):
    """The `MicroReport` of the LiteRT file at `path` (ops read by LiteRT's interpreter, no delegate)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    interpreter = Interpreter(model_path=str(path),
                              experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    ops, hybrid = collections.Counter(), set()
    for op in interpreter._get_ops_details():
        name = op["op_name"]
        ops[name] += 1
        if name in _WEIGHTED:
            kinds = [tensors[i]["dtype"].__name__ for i in op["inputs"] if i >= 0 and i in tensors]
            if kinds and kinds[0] == "float32" and "int8" in kinds[1:]:
                hybrid.add(name)
    inputs = [d["dtype"].__name__ for d in interpreter.get_input_details()]
    return MicroReport(dict(sorted(ops.items())), sorted(op for op in ops if op not in MICRO_BUILTINS),
                       sorted(hybrid), inputs)


def main(argv):
    """`python -m zoo.export.micro FILE.tflite ...`: each file's Micro summary and ops."""
    if not argv:
        raise SystemExit("usage: python -m zoo.export.micro FILE.tflite [FILE.tflite ...]")
    for path in argv:
        report = micro_report(path)
        print(f"{path}: {report.summary()}\n  inputs {', '.join(report.input_dtypes)}; ops "
              + ", ".join(f"{op} x{n}" for op, n in report.ops.items()))


if __name__ == "__main__":
    import sys
    main(sys.argv[1:])
