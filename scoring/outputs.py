"""Output files that appear under their name only when complete.

Rows go to a hidden `.NAME.PID.partial` file beside the target; `commit` renames it into place with
`os.replace` (atomic on one filesystem), `abort` deletes it. A run killed outright leaves at most the
`.partial` file, which nothing mistakes for a result.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


def output_format(path: Path, explicit: str | None) -> str:
    """`parquet` or `csv`, from --format or the file's extension; ValueError when neither says."""
    if explicit is not None:
        return explicit
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"cannot tell the output format from {path.name!r}: use .parquet or .csv, or --format"
        )
    return fmt


def partial_path(path: Path) -> Path:
    """Where a file is written before it is complete."""
    return path.with_name(f".{path.name}.{os.getpid()}.partial")


class AtomicWriter:
    """Streams record batches to a partial file and publishes it whole, or not at all."""

    def __init__(self, path: Path, schema: pa.Schema, fmt: str) -> None:
        self.path = path
        self.partial = partial_path(path)
        self._writer: pq.ParquetWriter | pcsv.CSVWriter
        if fmt == "parquet":
            # Dictionary pages only for the few-valued columns: on unique ids and probabilities the writer
            # would try a dictionary and fall back, which costs half the write time.
            few = [n for n in ("prediction", "warnings", "error", "model_version") if n in schema.names]
            self._writer = pq.ParquetWriter(self.partial, schema, compression="zstd", use_dictionary=few)
        else:
            self._writer = pcsv.CSVWriter(self.partial, schema)
        self._open = True

    def write(self, batch: pa.RecordBatch) -> None:
        """Append one batch."""
        self._writer.write_batch(batch)

    def commit(self) -> None:
        """Close and rename into place."""
        self._close()
        os.replace(self.partial, self.path)

    def abort(self) -> None:
        """Close and delete the partial file (no-op after commit)."""
        self._close()
        self.partial.unlink(missing_ok=True)

    def _close(self) -> None:
        """Close the underlying writer once."""
        if self._open:
            self._open = False
            self._writer.close()


def write_json_atomically(path: Path, document: dict[str, Any]) -> None:
    """Write a small JSON document through a partial file and a rename."""
    partial = partial_path(path)
    try:
        partial.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
