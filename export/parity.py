"""Compare scikit-learn and onnxruntime on held-out rows, a dense grid and adversarial points."""

from __future__ import annotations

import copy
import logging
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pandas as pd

from export.bundle import held_out_rows, load_bundle
from export.errors import ExportError, ParityError
from export.points import Points, adversarial, from_records, grid, integer_grid
from export.validate import TOLERANCE, run_session, validate

logger = logging.getLogger(__name__)
DEFAULT_MODEL = Path("models/purchase_model.onnx")
CHUNK = 100_000


@dataclass
class SetResult:
    """Parity figures for one point set."""

    name: str
    points: int = 0
    max_abs_diff: float = 0.0
    mismatches: dict[str, int] = field(default_factory=dict)
    worst: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when within tolerance and no decision differs."""
        return self.max_abs_diff <= TOLERANCE and not any(self.mismatches.values())


def single_threaded(pipeline: Any) -> Any:
    """A copy of the pipeline whose estimators use one job, so sums happen in sklearn's tree order."""
    clone = copy.deepcopy(pipeline)
    for _, step in clone.get_params(deep=True).items():
        if hasattr(step, "n_jobs") and hasattr(step, "set_params"):
            step.n_jobs = None
    return clone


def compare(
    pipeline: Any, session: ort.InferenceSession, points: Points, name: str, thresholds: list[float]
) -> SetResult:
    """Evaluate both runtimes chunk by chunk; collect max |ΔP|, decision mismatches and worst points."""
    result = SetResult(name, mismatches={f"at {t:g}": 0 for t in thresholds} | {"label": 0})
    worst: list[tuple[float, int, float, float]] = []
    for start in range(0, len(points), CHUNK):
        part = slice(start, start + CHUNK)
        age, salary, gender = points.age[part], points.salary[part], points.gender[part]
        frame = pd.DataFrame({"age": age, "salary": salary, "gender": gender})
        reference = np.asarray(pipeline.predict_proba(frame), dtype=np.float64)
        expected = reference[:, 1]
        labels, probabilities = run_session(session, age, salary, gender)
        got = probabilities[:, 1]
        diff = np.abs(got - expected)
        result.max_abs_diff = max(result.max_abs_diff, float(diff.max(initial=0.0)))
        bad = diff > TOLERANCE
        for t in thresholds:
            flips = (got >= t) != (expected >= t)
            result.mismatches[f"at {t:g}"] += int(flips.sum())
            bad |= flips
        label_flips = labels != np.argmax(reference, axis=1)
        result.mismatches["label"] += int(label_flips.sum())
        bad |= label_flips
        order = np.argsort(-diff)[:5]
        candidates = np.union1d(order, np.flatnonzero(bad)[:5])
        worst.extend((float(diff[i]), start + int(i), float(expected[i]), float(got[i])) for i in candidates)
        result.points += len(age)
    worst.sort(key=lambda w: -w[0])
    result.worst = [
        {
            "age": float(points.age[i]),
            "salary": float(points.salary[i]),
            "gender": str(points.gender[i]),
            "sklearn": e,
            "onnx": g,
            "abs_diff": d,
        }
        for d, i, e, g in worst[:5]
    ]
    return result


def point_sets(bundle: dict[str, Any], pipeline: Any, small: bool = False) -> dict[str, Points]:
    """The three parity sets; small=True shrinks the grid for unit tests."""
    rows = held_out_rows(bundle)
    if rows is None:
        logger.warning("bundle carries no held-out test rows; using the golden examples instead")
        rows_points = from_records(bundle["training"]["golden_examples"])
        held_name = "golden examples"
    else:
        rows_points, held_name = from_records(rows), "held-out test rows"
    dense = grid(2.0, 20_000.0) if small else grid()
    integers = integer_grid(25_000.0) if small else integer_grid()
    merged = Points(
        *(np.concatenate([getattr(dense, f), getattr(integers, f)]) for f in ("age", "salary", "gender"))
    )
    return {
        held_name: rows_points,
        "grid": merged,
        "adversarial": adversarial(pipeline, partners=4 if small else 12),
    }


def check_parity(bundle: dict[str, Any], model_path: Path, small: bool = False) -> list[SetResult]:
    """Validate the ONNX file, then compare it with the bundle's pipeline on every point set."""
    meta, session = validate(model_path)
    info = bundle["training"]
    if meta["created_at"] != str(info.get("trained_at")):
        raise ParityError(
            f"{model_path} was exported from the run of {meta['created_at']}, "
            f"the bundle is from {info.get('trained_at')}: compare it with its own run "
            f"(--run RUN or --bundle RUN/purchase_pipeline.joblib) or export it again"
        )
    pipeline = single_threaded(bundle["pipeline"])
    thresholds = sorted({float(meta["threshold"]), 0.5})
    return [
        compare(pipeline, session, pts, name, thresholds)
        for name, pts in point_sets(bundle, pipeline, small).items()
    ]


def summarise(results: list[SetResult]) -> None:
    """Log one line per point set, and the worst points of any failing set."""
    for r in results:
        logger.info(
            "parity %-20s points=%9d max|dP|=%.3g mismatches=%s %s",
            r.name,
            r.points,
            r.max_abs_diff,
            r.mismatches,
            "ok" if r.passed else "FAIL",
        )
        if not r.passed:
            for w in r.worst:
                logger.error("  worst: %s", w)


def require_parity(results: list[SetResult]) -> None:
    """Raise ParityError naming the failing sets."""
    failed = [r for r in results if not r.passed]
    if failed:
        worst = max(r.max_abs_diff for r in failed)
        raise ParityError(f"parity failed on {', '.join(r.name for r in failed)} (max |dP| {worst:.3g})")


def as_dict(results: list[SetResult]) -> list[dict[str, Any]]:
    """Results for the model card."""
    return [asdict(r) | {"passed": r.passed} for r in results]


def main(argv: list[str] | None = None) -> int:
    """CLI: check parity of a model (default models/purchase_model.onnx) against its own run's pipeline.

    The bundle is --bundle, else RUN/purchase_pipeline.joblib with --run, else the one the card beside the
    model names (deploy and rollback carry the card), else models/purchase_pipeline.joblib.
    """
    from export.cli import configure_logging, parity_paths, parser

    cli = parser("Check scikit-learn vs onnxruntime parity of a model against its own run.", model=True)
    args = cli.parse_args(argv)
    bundle, model = parity_paths(cli, args)
    configure_logging()
    logger.info("parity: %s against %s", model, bundle)
    try:
        results = check_parity(load_bundle(bundle), model, small=args.small)
        summarise(results)
        require_parity(results)
    except ExportError as exc:
        logger.error("parity: %s", exc)
        return 1
    logger.info("parity: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
