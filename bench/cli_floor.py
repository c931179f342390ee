"""The batch CLI's floor: `python -m bench.cli_floor ARGS` is `python -m scoring.batch ARGS` with a scorer
that does nothing (it reads the batches and writes constant answers), so the CLI's own reading, writing
and bookkeeping cost per row can be set beside the real run's (bench.batch).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pyarrow as pa

from scoring import batch
from scoring.core import Scorer, Tally, output_schema

_CONSTANT: list[pa.Array] = []


def constant_score(
    self: Scorer,
    age: pa.Array,
    salary: pa.Array,
    gender: pa.Array,
    ids: pa.Array | None,
    id_field: pa.Field | None,
    observe: Any = None,
    explain: bool = False,
) -> tuple[pa.RecordBatch, Tally]:
    """Scorer.score's signature and output schema; the answers are constant columns, sliced per batch."""
    n = len(age)
    if not _CONSTANT or len(_CONSTANT[0]) < n:
        null = pa.nulls(n, pa.string())
        _CONSTANT[:] = [pa.array(np.zeros(n)), pa.array(["No"] * n), null, null, pa.array(["v"] * n)]
    columns = [column[:n] for column in _CONSTANT]
    if id_field is not None and ids is not None:
        columns.insert(0, ids)
    return pa.RecordBatch.from_arrays(columns, schema=output_schema(id_field)), Tally(n, n, 0, 0, 0)


def main(argv: list[str] | None = None) -> int:
    """The CLI's main with the do-nothing scorer."""
    Scorer.score = constant_score  # type: ignore[method-assign]
    return batch.main(argv)


if __name__ == "__main__":
    sys.exit(main())
