"""The lookup table gives onnxruntime's own bits for every row, and steps aside where it cannot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from runtime import contract as c
from runtime.forest_table import ForestTable, grid_of
from runtime.model import load_model
from runtime.predictor import Predictor

MODEL = Path(__file__).resolve().parents[2] / "models" / "purchase_model.onnx"


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    """The committed model, which is a forest on raw inputs: it gets a table."""
    loaded = Predictor.from_path(MODEL)
    assert loaded.table is not None
    return loaded


def bits(values: np.ndarray) -> np.ndarray:
    """The float64 values as integers, for exact comparison."""
    return np.asarray(values, dtype=np.float64).view(np.int64)


def test_every_split_point_and_its_neighbours_get_onnxruntimes_bits(predictor: Predictor) -> None:
    table = predictor.table
    assert table is not None
    rng = np.random.default_rng(11)
    edges = []
    for points in (table.grid.age, table.grid.salary):
        edges.append(np.concatenate([points, np.nextafter(points, -np.inf), np.nextafter(points, np.inf)]))
    age = np.concatenate([edges[0], rng.choice(edges[0], len(edges[1])), rng.uniform(0, 121, 5000)])
    salary = np.concatenate([rng.choice(edges[1], len(edges[0])), edges[1], rng.uniform(-1, 1.1e6, 5000)])
    gender = rng.choice(np.array(c.GENDERS, dtype=object), len(age))
    got = predictor.probabilities(age, salary, gender)
    assert np.array_equal(bits(got), bits(predictor.onnx_probabilities(age, salary, gender)))
    rows = zip(age.tolist(), salary.tolist(), gender.tolist(), strict=True)
    one = np.array([predictor.predict_one(a, s, g).probability for a, s, g in rows])
    assert np.array_equal(bits(one), bits(got))


def test_rows_outside_the_table_go_through_onnxruntime(predictor: Predictor) -> None:
    age = np.array([np.nan, 45.0, 45.0, 130.0, 45.0, 0.0, -3.0, 45.0])
    salary = np.array([90_000.0, np.nan, 90_000.0, 90_000.0, 2e6, 90_000.0, 90_000.0, -1.0])
    gender = np.array(["Male", "Male", "Other", "Female", "Male", "Female", "Male", "Female"], dtype=object)
    assert predictor.table is not None
    _, covered = predictor.table.lookup(age, salary, gender)
    assert covered.tolist() == [False, False, False, False, False, True, False, False]
    got = predictor.probabilities(age, salary, gender)
    assert np.array_equal(bits(got), bits(predictor.onnx_probabilities(age, salary, gender)), equal_nan=True)
    assert predictor.table.one(45.0, 90_000.0, "Other") is None
    assert predictor.table.one(float("nan"), 90_000.0, "Male") is None


def test_a_table_that_disagrees_with_onnxruntime_is_dropped(predictor: Predictor) -> None:
    grid = predictor.table.grid if predictor.table else None
    assert grid is not None
    split = float(grid.age[len(grid.age) // 2])

    def off_by_one_cell(age: np.ndarray, salary: np.ndarray, gender: np.ndarray) -> np.ndarray:
        probabilities = predictor.onnx_probabilities(age, salary, gender)
        return np.where(age == split, np.nextafter(probabilities, 2.0), probabilities)

    assert ForestTable.build(grid, predictor.onnx_probabilities) is not None
    assert ForestTable.build(grid, off_by_one_cell) is None


def _edited(mutate: object) -> bytes:
    """The committed model with its graph changed by `mutate(model)`."""
    model = onnx.load(str(MODEL))
    mutate(model)  # type: ignore[operator]
    return model.SerializeToString()


def _age_also_elsewhere(model: onnx.ModelProto) -> None:
    """`age` feeds one more node besides the trees' Concat (a model the table cannot describe)."""
    model.graph.node.append(helper.make_node("Identity", [c.AGE], ["age_copy"]))
    model.graph.output.append(helper.make_tensor_value_info("age_copy", onnx.TensorProto.DOUBLE, [None, 1]))


def _strict_splits(model: onnx.ModelProto) -> None:
    """Every split made `x < t` instead of `x <= t`: other cells."""
    tree = next(n for n in model.graph.node if n.op_type == "TreeEnsemble")
    modes = next(a for a in tree.attribute if a.name == "nodes_modes")
    values = numpy_helper.to_array(modes.t)
    modes.t.CopyFrom(numpy_helper.from_array(np.ones_like(values), modes.t.name))


@pytest.mark.parametrize("mutate", [_age_also_elsewhere, _strict_splits], ids=["age-twice", "strict-splits"])
def test_models_of_another_shape_get_no_table_and_the_same_answers(tmp_path: Path, mutate: object) -> None:
    data = _edited(mutate)
    assert grid_of(data) is None
    path = tmp_path / "model.onnx"
    path.write_bytes(data)
    plain = Predictor(load_model(path))
    assert plain.table is None
    rng = np.random.default_rng(5)
    age, salary = rng.uniform(18, 70, 500), rng.uniform(10_000, 200_000, 500)
    gender = rng.choice(np.array(c.GENDERS, dtype=object), 500)
    assert np.array_equal(
        bits(plain.probabilities(age, salary, gender)), bits(plain.onnx_probabilities(age, salary, gender))
    )


def test_the_grid_holds_the_forests_split_points_inside_the_domain() -> None:
    grid = grid_of(MODEL.read_bytes())
    assert grid is not None
    model = onnx.load(str(MODEL))
    tree = next(n for n in model.graph.node if n.op_type == "TreeEnsemble")
    splits = numpy_helper.to_array(next(a for a in tree.attribute if a.name == "nodes_splits").t)
    every = np.unique(splits)
    assert set(grid.age.tolist()) == {v for v in every.tolist() if 0 <= v <= c.AGE_MAX}
    assert set(grid.salary.tolist()) == {v for v in every.tolist() if 0 <= v <= c.SALARY_MAX}
    assert np.all(np.diff(grid.age) > 0) and np.all(np.diff(grid.salary) > 0)
