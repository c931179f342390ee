"""A tiny ONNX graph builder: named nodes, constants and unique tensor names."""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

ML_DOMAIN = "ai.onnx.ml"


class GraphBuilder:
    """Collects nodes and initializers for one ONNX graph, naming tensors uniquely."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def name(self, hint: str) -> str:
        """Return a fresh tensor or node name derived from hint."""
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, value: Any, hint: str, dtype: Any = None) -> str:
        """Add an initializer holding value and return its name."""
        array = np.asarray(value, dtype=dtype)
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def op(self, op_type: str, inputs: list[str], hint: str, domain: str = "", **attrs: Any) -> str:
        """Add a single-output node and return its output name."""
        out = self.name(hint)
        self.nodes.append(
            helper.make_node(op_type, inputs, [out], name=self.name(op_type), domain=domain, **attrs)
        )
        return out

    def cast(self, x: str, to: int, hint: str = "cast") -> str:
        """Cast x to the ONNX element type to."""
        return self.op("Cast", [x], hint, to=to)

    def take(self, x: str, index: int, axis: int, hint: str = "take") -> str:
        """Select one slice of x along axis and drop that axis."""
        return self.op("Gather", [x, self.const(np.int64(index), "idx")], hint, axis=axis)

    def column(self, x: str, index: int, hint: str = "col") -> str:
        """Select column index of a 2-D tensor keeping it 2-D ([N, 1])."""
        return self.op("Gather", [x, self.const(np.array([index], dtype=np.int64), "idx")], hint, axis=1)

    def rename(self, old: str, new: str) -> None:
        """Rename a node-produced tensor everywhere (e.g. to give the final result its output name)."""
        for node in self.nodes:
            node.input[:] = [new if i == old else i for i in node.input]
            node.output[:] = [new if o == old else o for o in node.output]

    def splice(self, graph: onnx.GraphProto, prefix: str, inputs: dict[str, str]) -> dict[str, str]:
        """Copy another graph's nodes in, renaming its tensors; return its outputs' new names."""
        rename = dict(inputs)

        def new(name: str) -> str:
            if name == "":
                return name
            if name not in rename:
                rename[name] = f"{prefix}{name}"
            return rename[name]

        for init in graph.initializer:
            copy = onnx.TensorProto()
            copy.CopyFrom(init)
            copy.name = new(init.name)
            self.initializers.append(copy)
        for node in graph.node:
            copy_node = onnx.NodeProto()
            copy_node.CopyFrom(node)
            copy_node.name = f"{prefix}{node.name}"
            copy_node.input[:] = [new(i) for i in node.input]
            copy_node.output[:] = [new(o) for o in node.output]
            self.nodes.append(copy_node)
        return {out.name: new(out.name) for out in graph.output}
