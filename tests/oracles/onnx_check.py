"""Independent check of an ONNX model written by the toolkit, with Debian's python3-onnx (1.12).

usage: /usr/bin/python3 onnx_check.py MODEL.onnx [--no-full-check]

Loads the model with its external data, runs onnx.checker.check_model (full_check = with strict shape inference,
unless --no-full-check: graphs holding com.microsoft ops are checked without it, as shape inference cannot type
their outputs), then prints one JSON line: ir_version, opsets, the op types per domain, input and output names,
initializer count and how many initializers live in external data.
"""
import json
import sys

import onnx


def main():
    path = sys.argv[1]
    full = "--no-full-check" not in sys.argv[2:]
    external = sum(1 for t in onnx.load(path, load_external_data=False).graph.initializer
                   if t.data_location == onnx.TensorProto.EXTERNAL)
    # check_model on a path reads external data itself and handles models over 2 GB
    onnx.checker.check_model(path, full_check=full)
    m = onnx.load(path, load_external_data=False)
    ops = {}
    for n in m.graph.node:
        ops.setdefault(n.domain or "", set()).add(n.op_type)
    print(json.dumps({
        "ir_version": m.ir_version,
        "opsets": {o.domain or "": o.version for o in m.opset_import},
        "ops": {d: sorted(v) for d, v in sorted(ops.items())},
        "inputs": [i.name for i in m.graph.input],
        "outputs": [o.name for o in m.graph.output],
        "initializers": len(m.graph.initializer),
        "external": external,
    }))


if __name__ == "__main__":
    main()
