"""`python -m scoring.batch --input PATH --output PATH`: score a whole customer file in bounded memory.

Exit codes: 0 done; 2 bad flags; 3 model unusable; 4 input unreadable or lacking a column; 5 more
invalid rows than --max-invalid; 1 anything else; 130/143 interrupted. Errors are one line, never a
traceback, and never quote a cell of the input.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import pyarrow as pa

from monitoring.profile import ProfileError
from runtime import contract as c
from runtime.errors import ExplanationUnavailable, ModelError
from runtime.explain import Explainer
from scoring.core import Scorer, output_schema
from scoring.drift import BatchDrift
from scoring.inputs import InputError, Source, batches, id_field, input_files, open_source
from scoring.manifest import Counts, fingerprint, manifest_path, peak_memory, versions
from scoring.outputs import AtomicWriter, output_format, write_json_atomically
from scoring.progress import Progress

logger = logging.getLogger("scoring.batch")

DEFAULT_MODEL = Path("models/purchase_model.onnx")
DEFAULT_BATCH_ROWS = 65_536
EXIT_MODEL, EXIT_INPUT, EXIT_INVALID, EXIT_OTHER = 3, 4, 5, 1


class Stop(Exception):
    """A fatal condition with its exit code and one-line message."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class Interrupted(BaseException):
    """SIGTERM or SIGINT arrived; the partial output is removed on the way out."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.code = 128 + signum


def _fraction(text: str) -> float:
    """A number from 0 to 1 for --max-invalid."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction from 0 to 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be from 0 to 1, got {text}")
    return value


def threshold_flag(text: str) -> float:
    """A number strictly between 0 and 1 for --threshold."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not c.valid_threshold(value):
        raise argparse.ArgumentTypeError(f"must be a number strictly between 0 and 1, got {text!r}")
    return value


def model_bytes_flag(text: str) -> int:
    """A size in bytes from 1024 to 2**31 for --max-model-bytes (PREDICT_MAX_MODEL_BYTES's range)."""
    if not text.isdigit() or not 1024 <= int(text) <= 2**31:
        raise argparse.ArgumentTypeError(f"expected whole bytes from 1024 to {2**31}, got {text!r}")
    return int(text)


def _positive(text: str) -> int:
    """A whole number >= 1 for --batch-rows."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return int(text)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, checked; bad flags exit with code 2 and one line of usage."""
    parser = argparse.ArgumentParser(prog="python -m scoring.batch", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--input", required=True, type=Path, help="a CSV or Parquet file, or a folder of them"
    )
    parser.add_argument("--output", required=True, type=Path, help="the result, .parquet or .csv")
    parser.add_argument(
        "--model", type=Path, default=DEFAULT_MODEL, help=f"ONNX model (default {DEFAULT_MODEL})"
    )
    parser.add_argument("--threshold", type=threshold_flag, help="decision threshold (default: the model's)")
    parser.add_argument(
        "--max-model-bytes",
        type=model_bytes_flag,
        default=c.DEFAULT_MAX_MODEL_BYTES,
        help=f"refuse a larger model file (default {c.DEFAULT_MAX_MODEL_BYTES})",
    )
    parser.add_argument("--id-column", help="column passed through as the id (default: 'User ID' if present)")
    parser.add_argument(
        "--max-invalid",
        type=_fraction,
        default=0.01,
        help="fail when more than this fraction of rows is invalid (default 0.01)",
    )
    parser.add_argument("--format", choices=("parquet", "csv"), help="output format (default: by extension)")
    parser.add_argument("--batch-rows", type=_positive, default=DEFAULT_BATCH_ROWS, help="rows per batch")
    parser.add_argument(
        "--drift",
        action="store_true",
        help="also compare the input with the model's reference profile: OUTPUT.drift.json and .drift.html",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="add contribution_age, contribution_salary, contribution_gender (exact Shapley values)",
    )
    args = parser.parse_args(argv)
    try:
        args.format = output_format(args.output, args.format)
    except ValueError as exc:
        parser.error(str(exc))
    if not args.output.parent.is_dir():
        parser.error(f"the output folder {args.output.parent} does not exist")
    if args.output.resolve() == args.input.resolve():
        parser.error("--output must not be the input")
    return args


_RECEIVED: list[int] = []  # signals seen: a raise inside a __del__ or an import can be swallowed or wrapped


def _raise_interrupted(signum: int, frame: FrameType | None) -> None:
    """Signal handler: note the signal and unwind so that `finally` removes the partial output."""
    _RECEIVED.append(signum)
    raise Interrupted(signum)


def check_interrupted() -> None:
    """Raise Interrupted when a signal arrived whose own raise was lost (checked after every batch)."""
    if _RECEIVED:
        raise Interrupted(_RECEIVED[0])


def _sources(args: argparse.Namespace) -> list[Source]:
    """Every input file opened and checked before anything is written."""
    sources = [open_source(path, args.id_column) for path in input_files(args.input)]
    first = sources[0]
    for other in sources[1:]:
        if (other.id_name is None) != (first.id_name is None):
            raise InputError(f"input {other.path} and {first.path} disagree on having an id column")
    return sources


def _ids(batch: pa.RecordBatch, source: Source, field: pa.Field | None, offset: int) -> pa.Array:
    """The batch's ids in the output's type, or row numbers when the input has no id."""
    if source.id_name is None:
        return pa.array(range(offset, offset + batch.num_rows), type=pa.int64())
    ids = batch.column(0)
    if field is not None and ids.type != field.type:
        try:
            ids = ids.cast(field.type)
        except pa.ArrowException:
            raise InputError(
                f"input {source.path}: its id column's type differs from the first file's"
            ) from None
    return ids


def score_files(
    args: argparse.Namespace,
    scorer: Scorer,
    sources: list[Source],
    counts: Counts,
    drift: BatchDrift | None = None,
) -> None:
    """Stream every batch of every file through the scorer into the atomic writer."""
    first = sources[0]
    field = id_field(first) if first.id_name else pa.field("row_number", pa.int64())
    writer = AtomicWriter(args.output, output_schema(field, args.explain), args.format)
    progress = Progress(sum(s.rows_estimate for s in sources))
    try:
        for source in sources:
            counts.files.append(str(source.path))
            for batch in batches(source, args.batch_rows):
                start = 1 if source.id_name else 0
                ids = _ids(batch, source, field, counts.rows_read)
                age, salary, gender = batch.columns[start : start + 3]
                observe = drift.observe if drift else None
                out, tally = scorer.score(age, salary, gender, ids, field, observe, args.explain)
                writer.write(out)
                counts.add(
                    tally.rows, tally.scored, tally.invalid, tally.yes, tally.warned, tally.invalid_by_field
                )
                progress.advance(tally.rows)
                check_interrupted()
        progress.finish()
        check_interrupted()
        if counts.invalid_fraction() > args.max_invalid:
            raise Stop(
                EXIT_INVALID,
                f"{counts.invalid_summary()}; {counts.invalid_fraction():.2%} > --max-invalid "
                f"{args.max_invalid:.2%}; nothing written (rerun with a higher --max-invalid to see each "
                "row's reason in the `error` column)",
            )
        writer.commit()
    finally:
        writer.abort()


def summary(manifest: dict[str, Any]) -> str:
    """The run's one-line summary; invalid rows are counted per input, as the manifest records them."""
    counts = Counts(rows_read=manifest["rows_read"], rows_invalid=manifest["rows_invalid"])
    counts.invalid_by_field.update(manifest.get("rows_invalid_by_field", {}))
    invalid = f"; {counts.invalid_summary()}" if counts.rows_invalid else " (0 invalid)"
    return (
        f"scored {manifest['rows_read']:,} rows ({manifest['yes_count']:,} Yes) into {manifest['output']} "
        f"in {manifest['duration_seconds']:.1f} s{invalid}"
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Score the input into the output and write the manifest; raises Stop on a fatal problem."""
    started, clock = datetime.now(UTC), time.monotonic()
    try:
        scorer = Scorer.from_path(args.model, args.threshold, args.max_model_bytes)
        if args.explain:
            Explainer.of(scorer.predictor)  # built once here: a model without a background stops the run
    except (ModelError, ExplanationUnavailable) as exc:
        raise Stop(EXIT_MODEL, str(exc)) from None
    try:
        drift = BatchDrift(scorer.predictor) if args.drift else None
    except ProfileError as exc:
        raise Stop(EXIT_MODEL, f"--drift: {exc}") from None
    try:
        sources = _sources(args)
        files = [s.path for s in sources]
        root = args.input if args.input.is_dir() else args.input.parent
        counts = Counts()
        score_files(args, scorer, sources, counts, drift)
        input_fingerprint = fingerprint(files, root)
    except InputError as exc:
        raise Stop(EXIT_INPUT, str(exc)) from None
    manifest = {
        "status": "complete",
        "output": str(args.output),
        "format": args.format,
        "inputs": counts.files,
        "input_fingerprint": input_fingerprint,
        **counts.as_dict(),
        "threshold": scorer.threshold,
        "threshold_source": "--threshold" if args.threshold is not None else "model metadata",
        "model_version": scorer.model_version,
        "model_sha256": scorer.model_sha256,
        "model_path": str(args.model),
        "max_invalid": args.max_invalid,
        "explain": args.explain,
        "started_at": started.isoformat(timespec="seconds"),
        "duration_seconds": round(time.monotonic() - clock, 3),
        **peak_memory(),
        "versions": versions(),
    }
    if drift is not None:
        json_path, html_path = drift.write(args.output)
        manifest["drift"] = {"json": str(json_path), "html": str(html_path)}
    write_json_atomically(manifest_path(args.output), manifest)
    return manifest


def main(argv: list[str] | None = None) -> int:
    """Entry point: one line per problem on stderr and an exit code, never a traceback."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    _RECEIVED.clear()
    previous = {s: signal.signal(s, _raise_interrupted) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        manifest = run(args)
    except Stop as exc:
        logger.error("%s", exc)
        return exc.code
    except Interrupted as exc:
        logger.error("interrupted by %s; no output written", exc)
        return exc.code
    except Exception as exc:  # a last resort: still one line, never a traceback
        if _RECEIVED:  # the signal's raise was wrapped (a SystemError out of an interrupted import)
            logger.error("interrupted by %s; no output written", signal.Signals(_RECEIVED[0]).name)
            return Interrupted(_RECEIVED[0]).code
        logger.error(
            "scoring failed: %s: %s", type(exc).__name__, str(exc).splitlines()[0][:200] if str(exc) else ""
        )
        return EXIT_OTHER
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    logger.info("%s", summary(manifest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
