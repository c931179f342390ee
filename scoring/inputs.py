"""Input files in bounded memory: a CSV or Parquet file, or a folder of them, as Arrow batches.

Parquet is read with `ParquetFile(pre_buffer=False).iter_batches` and CSV with `open_csv` in 1 MiB
blocks: both keep memory flat however long the file is (pyarrow's `pre_buffer=True` and
`dataset.to_batches` grow with the file; see ../shared/research/batch-and-spark.md §5.3). Headers are
normalised like training's (`runtime.columns`); messages name files and columns, never cell values.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from runtime.columns import SCORING_INPUTS, find_column, map_header

CSV_BLOCK_BYTES = 1 << 20
PARQUET_SUFFIXES = (".parquet", ".pq")
SUFFIXES = (".csv", *PARQUET_SUFFIXES)
EXAMPLES = {"age": "Age", "salary": "EstimatedSalary", "gender": "Gender"}
SNIFF_BYTES = 64 * 1024


class InputError(Exception):
    """An input cannot be read or lacks a column; the message is one line for the user."""


@dataclass(frozen=True)
class Source:
    """One input file: its format, its columns by role and an estimate of its rows."""

    path: Path
    parquet: bool
    header: list[str]
    columns: dict[str, str]  # role (age, salary, gender) -> the file's column name
    id_name: str | None
    rows_estimate: int


def input_files(path: Path) -> list[Path]:
    """The file itself, or the CSV and Parquet files of a folder in name order."""
    if path.is_dir():
        files = sorted(
            p
            for p in path.iterdir()
            if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith((".", "_"))
        )
        if not files:
            raise InputError(f"input folder {path} holds no .csv or .parquet files")
        return files
    if not path.is_file():
        raise InputError(f"input {path} does not exist")
    return [path]


def _is_parquet(path: Path) -> bool:
    """Parquet by its magic bytes, whatever the file is called."""
    with path.open("rb") as handle:
        return handle.read(4) == b"PAR1"


def _csv_sample(path: Path) -> tuple[list[str], int]:
    """The CSV header and an estimate of the rows, or InputError when the file is not a text CSV."""
    with path.open("rb") as handle:
        sample = handle.read(SNIFF_BYTES)
    if not sample.strip():
        raise InputError(f"input {path} is empty")
    if b"\0" in sample:
        raise InputError(f"input {path} is not a CSV file (it holds binary data)")
    try:
        text = sample.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # a multi-byte character cut at the end of the sample is fine
            raise InputError(f"input {path} is not a UTF-8 CSV file") from None
        text = sample[: exc.start].decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)), [])
    lines = max(text.count("\n"), 1)
    size = path.stat().st_size
    return header, max(int(size / (len(sample) / lines)) - 1, 0)


def open_source(path: Path, id_column: str | None) -> Source:
    """Read a file's header and find its columns; InputError naming what is missing."""
    try:
        parquet = _is_parquet(path)
        if parquet:
            meta = pq.read_metadata(path)
            header, rows = list(meta.schema.to_arrow_schema().names), meta.num_rows
        else:
            header, rows = _csv_sample(path)
    except OSError as exc:
        raise InputError(f"input {path} cannot be read: {exc.strerror or type(exc).__name__}") from None
    except (pa.ArrowException, ValueError):
        raise InputError(f"input {path} is not a readable Parquet file") from None
    if path.suffix.lower() in PARQUET_SUFFIXES and not parquet:
        raise InputError(f"input {path} is named like a Parquet file but is not one")
    positions = map_header(header)
    missing = [role for role in SCORING_INPUTS if role not in positions]
    if missing:
        wanted = ", ".join(f"{role} (e.g. {EXAMPLES[role]!r})" for role in missing)
        raise InputError(f"input {path} has no column for {wanted}; its columns: {', '.join(header)}")
    columns = {role: header[positions[role]] for role in SCORING_INPUTS}
    if id_column is not None:
        index = find_column(header, id_column)
        if index is None:
            raise InputError(f"input {path} has no id column {id_column!r}; its columns: {', '.join(header)}")
    else:
        index = positions.get("user_id")
    id_name = header[index] if index is not None else None
    return Source(path, parquet, header, columns, id_name, rows)


def _names(source: Source) -> list[str]:
    """The file columns to read: id first when there is one, then age, salary, gender."""
    return ([source.id_name] if source.id_name else []) + [source.columns[r] for r in SCORING_INPUTS]


def id_field(source: Source) -> pa.Field | None:
    """The id column as it will be written (CSV ids stay text, so leading zeros survive)."""
    if source.id_name is None:
        return None
    if source.parquet:
        return pq.read_schema(source.path).field(source.id_name)
    return pa.field(source.id_name, pa.string())


def batches(source: Source, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The file's needed columns in order, batch by batch; InputError when a block cannot be parsed."""
    names = _names(source)
    try:
        if source.parquet:
            reader = pq.ParquetFile(source.path, pre_buffer=False)
            yield from reader.iter_batches(batch_size=batch_rows, columns=names, use_threads=False)
            return
        stream = pcsv.open_csv(
            source.path,
            read_options=pcsv.ReadOptions(block_size=CSV_BLOCK_BYTES, use_threads=False),
            convert_options=pcsv.ConvertOptions(
                include_columns=names, column_types={n: pa.string() for n in names}, strings_can_be_null=False
            ),
        )
        for batch in stream:
            if batch.num_rows:
                yield batch
    except pa.ArrowInvalid as exc:
        raise InputError(f"input {source.path} cannot be read: {_reason(source, exc)}") from None
    except OSError as exc:
        raise InputError(
            f"input {source.path} cannot be read: {exc.strerror or type(exc).__name__}"
        ) from None


def _reason(source: Source, exc: pa.ArrowInvalid) -> str:
    """Why a file cannot be parsed, in words that quote no cell of it."""
    text = str(exc)
    if "Expected" in text and "columns" in text:
        return "a row has a different number of fields than the header"
    return "it is not a well-formed " + ("Parquet" if source.parquet else "CSV") + " file"
