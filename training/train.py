"""Command line: CSV -> compared, calibrated, thresholded Pipeline + training.json + HTML report."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from training.bundle import save_bundle
from training.calibration import METHODS, calibrated_pipeline, choose_calibration, compare_calibrations
from training.candidates import FAMILIES, make_estimator
from training.compare import Candidate, compare_models, pick_best
from training.crossval import N_SPLITS, CVResult, cross_validate
from training.documents import ExplanationBackground, FinalModel, TrainingInfo, TrainingMetrics
from training.errors import ConfigError, DataError
from training.explanation_background import BackgroundError, explanation_background
from training.gender_variants import assess
from training.load import FEATURES, LABEL, LoadedData, load_customers
from training.metrics import rounded, score
from training.progress import Progress
from training.reference_profile import reference_profile
from training.report import comparison_text, write_metrics, write_report
from training.run_info import build_info, build_metrics
from training.threshold import DEFAULT_THRESHOLD, Policy, choose_threshold, parse_policy, sweep

logger = logging.getLogger(__name__)

RUNS = Path("runs")  # where a run goes when no output is named (git-ignored)
TEST_SIZE = 0.2
CALIBRATION_REPEATS = 2  # calibration is compared on the first 2 repeats of the same CV splits


def _policy(text: str) -> Policy:
    try:
        return parse_policy(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _number(minimum: float, integer: bool = False) -> Any:
    def parse(text: str) -> float | int:
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a {'whole ' if integer else ''}number, got {text!r}"
            ) from None
        if not np.isfinite(value) or value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum:g}, got {text!r}")
        return value

    return parse


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse and check the training command line (exit code 2 with one clear line on bad values)."""
    parser = argparse.ArgumentParser(prog="python -m training.train", description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("data/customers.csv"), help="customer CSV")
    parser.add_argument("--model", choices=[*FAMILIES, "auto"], default="forest", help="final model family")
    parser.add_argument("--calibration", choices=["auto", *METHODS], default="auto")
    parser.add_argument(
        "--threshold",
        type=_policy,
        default=Policy("fixed", DEFAULT_THRESHOLD),
        help="number in (0,1), max-f1, precision>=X, recall>=X or profit (default 0.6)",
    )
    parser.add_argument("--gain-tp", type=_number(0.0), help="profit of a true positive (for profit)")
    parser.add_argument("--cost-fp", type=_number(0.0), help="cost of a false positive (for profit)")
    parser.add_argument("--seed", type=_number(0, integer=True), default=42)
    parser.add_argument(
        "--drop-invalid", action="store_true", help="skip bad rows instead of refusing the file"
    )
    parser.add_argument(
        "--without-gender", action="store_true", help="train the final pipeline without the gender input"
    )
    parser.add_argument("--fast", action="store_true", help="tiny grids and 2 CV repeats (tests)")
    parser.add_argument(
        "--out",
        type=Path,
        help="run folder for every output (default: a new runs/<UTC time>-<model>/)",
    )
    parser.add_argument("--out-dir", type=Path, help="pipeline and training.json only (default models/)")
    parser.add_argument(
        "--report-dir", type=Path, help="metrics.json and report.html only (default reports/)"
    )
    parser.add_argument("--cv-repeats", type=_number(1, integer=True), help="CV repeats (default 5, fast 2)")
    args = parser.parse_args(argv)
    if args.threshold.kind == "profit" and (args.gain_tp is None or args.cost_fp is None):
        parser.error("--threshold profit needs both --gain-tp and --cost-fp")
    if args.cv_repeats is None:
        args.cv_repeats = 2 if args.fast else 5
    if args.out is not None and (args.out_dir is not None or args.report_dir is not None):
        parser.error("--out names the whole run folder; give it alone, or --out-dir and --report-dir")
    if args.out is not None:
        args.out_dir = args.report_dir = args.out
    elif args.out_dir is None and args.report_dir is None:
        args.out = args.out_dir = args.report_dir = new_run_folder(args.model)
    else:  # the older flags: each one alone keeps its old default (the committed model's folders)
        args.out_dir = args.out_dir or Path("models")
        args.report_dir = args.report_dir or Path("reports")
    return args


def new_run_folder(model: str, root: Path = RUNS) -> Path:
    """A run folder name not taken yet: runs/2026-12-01T2015-forest, then …-forest-2, …"""
    stem = f"{datetime.now(UTC):%Y-%m-%dT%H%M}-{model}"
    folder, number = root / stem, 1
    while folder.exists():
        number += 1
        folder = root / f"{stem}-{number}"
    return folder


def _calibrate(
    args: argparse.Namespace,
    estimator: BaseEstimator,
    x_train: pd.DataFrame,
    y_train: np.ndarray,
    uncalibrated: CVResult,
    threshold: float,
) -> tuple[str, dict[str, CVResult]]:
    """Compare the requested calibration methods on the first CALIBRATION_REPEATS CV repeats."""
    methods = METHODS if args.calibration == "auto" else (args.calibration,)
    if methods == ("none",):
        return "none", {"none": uncalibrated}
    repeats = min(args.cv_repeats, CALIBRATION_REPEATS)
    results = {"none": uncalibrated.first_repeats(repeats, threshold)} if "none" in methods else {}
    to_run = tuple(method for method in methods if method != "none")
    results |= compare_calibrations(
        estimator, x_train, y_train, to_run, threshold, repeats, args.seed, gender=not args.without_gender
    )
    return choose_calibration(results), results


Split = tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]  # x_train, x_test, y_train, y_test


@dataclass
class FinalFit:
    """The chosen family calibrated, thresholded and refitted on the training split."""

    family: str
    params: dict[str, Any]
    estimator: BaseEstimator
    calibration: str
    calibrations: dict[str, CVResult]
    cv: CVResult
    threshold: float
    pipeline: Pipeline
    test_proba: np.ndarray
    pooled_y: np.ndarray  # the training labels once per CV repeat
    pooled_p: np.ndarray  # their out-of-fold P(buy), repeat after repeat


def _split(args: argparse.Namespace) -> tuple[LoadedData, Split]:
    """The customer file and its stratified train/test split."""
    loaded = load_customers(args.data, drop_invalid=args.drop_invalid)
    frame = loaded.frame
    x_train, x_test, y_train, y_test = train_test_split(
        frame[FEATURES],
        frame[LABEL].to_numpy(),
        test_size=TEST_SIZE,
        stratify=frame[LABEL],
        random_state=args.seed,
    )
    x_train, x_test = x_train.reset_index(drop=True), x_test.reset_index(drop=True)
    logger.info(
        "loaded %d rows (%d train / %d test) from %s", len(frame), len(x_train), len(x_test), args.data
    )
    return loaded, (x_train, x_test, y_train, y_test)


def _fit_final(
    args: argparse.Namespace,
    split: Split,
    family: str,
    params: dict[str, Any],
    family_cv: CVResult,
    business: float,
    progress: Progress,
) -> FinalFit:
    """Calibrate the chosen family, choose its threshold on the pooled out-of-fold scores and refit it."""
    x_train, x_test, y_train, _ = split
    estimator = make_estimator(family, args.seed, **params)
    gender = not args.without_gender
    base_cv = (
        family_cv
        if gender
        else cross_validate(
            calibrated_pipeline(estimator, "none", gender),
            x_train,
            y_train,
            business,
            args.cv_repeats,
            args.seed,
        )
    )
    progress.step("calibration: comparing %s calibration for %s", args.calibration, family)
    calibration, calibrations = _calibrate(args, estimator, x_train, y_train, base_cv, business)
    if calibration == "none":
        final_cv = base_cv
    else:
        pipeline = calibrated_pipeline(estimator, calibration, gender)
        final_cv = cross_validate(
            pipeline, x_train, y_train, business, args.cv_repeats, args.seed, reuse=calibrations[calibration]
        )
    progress.step("final: %s (calibration %s), refit on %d rows", family, calibration, len(x_train))
    pooled_y, pooled_p = np.tile(y_train, args.cv_repeats), final_cv.oof.ravel()
    threshold = choose_threshold(args.threshold, pooled_y, pooled_p, args.gain_tp, args.cost_fp)
    pipeline = calibrated_pipeline(estimator, calibration, gender).fit(x_train, y_train)
    test_proba = pipeline.predict_proba(x_test)[:, 1]
    return FinalFit(
        family,
        params,
        estimator,
        calibration,
        calibrations,
        final_cv,
        threshold,
        pipeline,
        test_proba,
        pooled_y,
        pooled_p,
    )


def final_section(args: argparse.Namespace, fit: FinalFit, y_test: np.ndarray) -> FinalModel:
    """metrics.json "final": the chosen model, its calibration and threshold, CV and test metrics."""
    return {
        "model": fit.family,
        "hyperparameters": fit.params,
        "calibration": fit.calibration,
        "uses_gender": not args.without_gender,
        "calibration_scheme": f"{min(args.cv_repeats, CALIBRATION_REPEATS)}x{N_SPLITS} stratified CV",
        "threshold": fit.threshold,
        "threshold_policy": args.threshold.describe(),
        "cv": fit.cv.summary_at(fit.threshold),
        "test": rounded(score(y_test, fit.test_proba, fit.threshold)),
    }


def _write_outputs(
    args: argparse.Namespace,
    frame: pd.DataFrame,
    split: Split,
    candidates: dict[str, Candidate],
    fit: FinalFit,
    metrics: TrainingMetrics,
    info: TrainingInfo,
    progress: Progress,
) -> list[Path]:
    """The bundle, training.json, metrics.json and the HTML report; their paths."""
    _, x_test, y_train, y_test = split
    written = {str(args.out_dir), str(args.report_dir)}
    progress.step("writing %s", " and ".join(sorted(written)))
    model_path, info_path = save_bundle(fit.pipeline, info, args.out_dir, x_test)
    metrics_path = write_metrics(metrics, args.report_dir)
    curves = {
        "y_train": y_train,
        "y_test": y_test,
        "oof": {name: c.cv.oof[0] for name, c in candidates.items()},
        "final_oof": fit.cv.oof[0],
        "test_proba": fit.test_proba,
    }
    report_path = write_report(metrics, frame, curves, args.report_dir)
    return [model_path, info_path, metrics_path, report_path]


def _log_summary(
    args: argparse.Namespace, metrics: TrainingMetrics, paths: list[Path], started: float
) -> None:
    """The comparison table, the final model's figures, what was written and what to run next."""
    final = metrics["final"]
    logger.info(
        "model comparison (CV %s on the training split):\n%s", metrics["cv_scheme"], comparison_text(metrics)
    )
    logger.info(
        "final: %s (calibration %s)  CV ROC-AUC %.3f ± %.3f  test ROC-AUC %.3f  "
        "CV Brier %.3f  test Brier %.3f  threshold %g (%s)",
        final["model"],
        final["calibration"],
        final["cv"]["roc_auc"],
        final["cv"]["roc_auc_std"],
        final["test"]["roc_auc"],
        final["cv"]["brier"],
        final["test"]["brier"],
        final["threshold"],
        final["threshold_policy"],
    )
    logger.info("wrote %s, %s, %s, %s in %.0fs", *paths, time.perf_counter() - started)
    if args.out is not None:
        logger.info("next: make export RUN=%s   (writes %s)", args.out, args.out / "purchase_model.onnx")


def run(args: argparse.Namespace) -> TrainingInfo:
    """Train, evaluate, explain and save; returns the training info written to training.json."""
    started = time.perf_counter()
    progress = Progress()
    loaded, split = _split(args)
    x_train, x_test, _, _ = split
    policy: Policy = args.threshold
    business = policy.value if policy.kind == "fixed" and policy.value is not None else DEFAULT_THRESHOLD
    candidates = compare_models(split, business, args.cv_repeats, args.seed, args.fast, progress)
    family = pick_best(candidates) if args.model == "auto" else args.model
    chosen = candidates[family]
    fit = _fit_final(args, split, family, chosen.params, chosen.cv, business, progress)
    final = final_section(args, fit, split[3])
    progress.step("fairness: gender variants of %s", family)
    gender = not args.without_gender
    fairness = assess(
        fit.estimator, fit.calibration, gender, fit.pipeline, fit.cv, split, fit.threshold, args.seed
    )
    metrics = build_metrics(
        args, loaded, candidates, fit.calibrations, final, sweep(fit.pooled_y, fit.pooled_p), fairness
    )
    profile = reference_profile(x_train, fit.cv.oof[0], fit.threshold, final["cv"])
    background = _background(args, x_train)
    info = build_info(args, loaded, x_train, x_test, fit.pipeline, metrics, profile, background)
    paths = _write_outputs(args, loaded.frame, split, candidates, fit, metrics, info, progress)
    _log_summary(args, metrics, paths, started)
    return info


def _background(args: argparse.Namespace, x_train: pd.DataFrame) -> ExplanationBackground:
    """The k-anonymous background of exact explanations (docs/model/explanations.md), or DataError."""
    try:
        return explanation_background(x_train)
    except BackgroundError as exc:
        raise DataError(args.data, None, None, f"no explanation background: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m training.train``."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    try:
        run(args)
    except DataError as exc:
        logger.error("error: %s", exc)
        return 2
    except ConfigError as exc:
        logger.error("error: %s", exc)
        return 2
    except OSError as exc:
        logger.error("error: cannot write output: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
