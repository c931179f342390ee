"""The run manifest written beside the output: counts, model, threshold, input fingerprint, time, memory."""

from __future__ import annotations

import hashlib
import resource
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pyarrow as pa

from runtime import contract as c

FINGERPRINT_CHUNK = 1 << 20


def manifest_path(output: Path) -> Path:
    """`scored.parquet` -> `scored.parquet.manifest.json`."""
    return output.with_name(output.name + ".manifest.json")


def fingerprint(files: list[Path], root: Path) -> str:
    """sha256 over each input file's name (relative to the input) and bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(root) if path != root else path.name).encode() + b"\0")
        with path.open("rb") as handle:
            while chunk := handle.read(FINGERPRINT_CHUNK):
                digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def _peak_rss_kib() -> int:
    """VmHWM of this process image (ru_maxrss can carry a forking parent's size across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_memory() -> dict[str, int]:
    """Peak resident memory of this process and peak Arrow allocations, in bytes."""
    rss_kib = _peak_rss_kib()
    return {"peak_rss_bytes": rss_kib * 1024, "arrow_peak_bytes": int(pa.default_memory_pool().max_memory())}


def versions() -> dict[str, str]:
    """Versions of the libraries that shape the output."""
    found = {"python": sys.version.split()[0]}
    for name in ("onnxruntime", "pyarrow", "numpy"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "absent"
    return found


@dataclass
class Counts:
    """Running totals over a whole run."""

    rows_read: int = 0
    rows_scored: int = 0
    rows_invalid: int = 0
    yes: int = 0
    rows_with_warnings: int = 0
    files: list[str] = field(default_factory=list)
    # Rows refused for each input (age, salary, gender); a row with two bad inputs counts under both.
    invalid_by_field: dict[str, int] = field(default_factory=lambda: dict.fromkeys(c.INPUT_NAMES, 0))

    def add(
        self,
        rows: int,
        scored: int,
        invalid: int,
        yes: int,
        warned: int,
        invalid_by_field: Mapping[str, int] | None = None,
    ) -> None:
        """Add one batch's figures."""
        self.rows_read += rows
        self.rows_scored += scored
        self.rows_invalid += invalid
        self.yes += yes
        self.rows_with_warnings += warned
        for name, count in (invalid_by_field or {}).items():
            self.invalid_by_field[name] = self.invalid_by_field.get(name, 0) + count

    def reasons(self) -> str:
        """The invalid rows per input, most first: "gender: 2, age: 1" ("" when every row is valid)."""
        order = {name: i for i, name in enumerate(self.invalid_by_field)}
        counted = sorted(
            ((name, n) for name, n in self.invalid_by_field.items() if n),
            key=lambda item: (-item[1], order[item[0]]),
        )
        return ", ".join(f"{name}: {n:,}" for name, n in counted)

    def invalid_summary(self) -> str:
        """The invalid rows in one line, e.g. "3 of 3 rows are invalid (gender: 2, age: 1)"."""
        reasons = self.reasons()
        return f"{self.rows_invalid:,} of {self.rows_read:,} rows are invalid" + (
            f" ({reasons})" if reasons else ""
        )

    def invalid_fraction(self) -> float:
        """Invalid rows over rows read (0 for an empty input)."""
        return self.rows_invalid / self.rows_read if self.rows_read else 0.0

    def as_dict(self) -> dict[str, Any]:
        """The counts as manifest entries."""
        return {
            "rows_read": self.rows_read,
            "rows_scored": self.rows_scored,
            "rows_invalid": self.rows_invalid,
            "yes_count": self.yes,
            "rows_with_warnings": self.rows_with_warnings,
            "rows_invalid_by_field": dict(self.invalid_by_field),
        }
