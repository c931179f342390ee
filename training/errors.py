"""The one error type for bad training data: it names the file, the CSV line and the column."""

from __future__ import annotations

from pathlib import Path


class DataError(Exception):
    """Bad input data, located by file, physical CSV line (header = 1) and column when known."""

    def __init__(self, file: str | Path, line: int | None, column: str | None, message: str) -> None:
        self.file = str(file)
        self.line = line
        self.column = column
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column is not None:
            where += f", column {self.column!r}"
        return f"{where}: {self.message}"


class ConfigError(Exception):
    """An invalid option value or combination (for example a threshold policy no threshold meets)."""
