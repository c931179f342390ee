"""Seeded generator of synthetic customer CSVs, streamed in chunks so any row count fits in memory.

Ground truth (documented so the dataset tests can check it):

- ``Age`` is an integer drawn from a normal around 37.5 (sd 10.5), rounded and clipped to 18–60, like the
  customer base of the public dataset; ``Gender`` is Female with probability 0.51.
- ``EstimatedSalary`` is normal around 70,000 + 700 × (age − 38) (sd 32,000), rounded to steps of
  1,000 and clipped to 15,000–150,000, so older customers earn a little more.
- The buy logit is ``−1.8 + 0.16 (age − 40) + 0.5 max(age − 40, 0) + 1.15e−4 max(salary − 80,000, 0)
  − 8e−5 max(80,000 − salary, 0) + 0.1 [Female]``: gentle below 40, steep from 40; salary lifts it
  above about 80,000 and lowers it below; gender is nearly neutral. A 45-year-old earning 90,000
  buys with P ≈ 0.9, a 25-year-old earning 40,000 with P ≈ 0.04.
- Label noise: P(buy) = 0.04 + 0.92 × sigmoid(logit), so about 4 % of labels contradict the trend
  and no model can be perfect (the ground truth itself scores ROC-AUC ≈ 0.93). The population buy
  rate is about 37.5 %.
- ``User ID`` is 15,600,000 + the row index (unique, carries no signal).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

COLUMNS = ["User ID", "Gender", "Age", "EstimatedSalary", "Purchased"]
DEFAULT_ROWS = 400
DEFAULT_SEED = 21  # a seed whose 400-row sample looks like the population: 37.0 % buyers, smooth bands
CHUNK_ROWS = 500_000
FIRST_USER_ID = 15_600_000


def buy_probability(age: np.ndarray, salary: np.ndarray, female: np.ndarray) -> np.ndarray:
    """Return the ground-truth P(buy) (label noise included) for the given customers."""
    logit = (
        -1.8
        + 0.16 * (age - 40)
        + 0.5 * np.maximum(age - 40, 0)
        + 1.15e-4 * np.maximum(salary - 80_000, 0)
        - 8e-5 * np.maximum(80_000 - salary, 0)
        + 0.1 * female
    )
    return 0.04 + 0.92 / (1.0 + np.exp(-logit))


def generate_chunks(rows: int, seed: int, chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """Yield the dataset as DataFrames of at most ``chunk_rows`` rows, reproducibly for a seed."""
    rng = np.random.default_rng(seed)
    for start in range(0, rows, chunk_rows):
        n = min(chunk_rows, rows - start)
        age = np.clip(np.round(rng.normal(37.5, 10.5, n)), 18, 60).astype(np.int64)
        raw_salary = rng.normal(70_000 + 700 * (age - 38), 32_000, n)
        salary = np.clip(np.round(raw_salary / 1000) * 1000, 15_000, 150_000).astype(np.int64)
        female = rng.random(n) < 0.51
        purchased = (rng.random(n) < buy_probability(age, salary, female)).astype(np.int8)
        yield pd.DataFrame(
            {
                "User ID": np.arange(start, start + n, dtype=np.int64) + FIRST_USER_ID,
                "Gender": np.where(female, "Female", "Male"),
                "Age": age,
                "EstimatedSalary": salary,
                "Purchased": purchased,
            },
            columns=COLUMNS,
        )


def write_csv(stream: TextIO, rows: int, seed: int) -> None:
    """Write ``rows`` generated rows (with header) to an open text stream, chunk by chunk."""
    for index, chunk in enumerate(generate_chunks(rows, seed)):
        chunk.to_csv(stream, header=index == 0, index=False, lineterminator="\n")
    if rows == 0:
        stream.write(",".join(COLUMNS) + "\n")


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the generator's command line."""
    parser = argparse.ArgumentParser(prog="python -m training.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="CSV path to write, or - for stdout")
    parser.add_argument("--rows", type=_non_negative_int, default=DEFAULT_ROWS, help="rows (default 400)")
    parser.add_argument("--seed", type=_non_negative_int, default=DEFAULT_SEED, help="random seed")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Generate the CSV described by the command line."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    started = time.perf_counter()
    if args.out == "-":
        write_csv(sys.stdout, args.rows, args.seed)
        sys.stdout.flush()
        return 0
    out = Path(args.out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8", newline="") as stream:
            write_csv(stream, args.rows, args.seed)
    except OSError as exc:
        logger.error("error: cannot write %s: %s", out, exc.strerror or exc)
        return 2
    logger.info(
        "wrote %d rows to %s in %.1fs (seed %d)", args.rows, out, time.perf_counter() - started, args.seed
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
