"""The one renderer: every bench/results/*.md and *.json is written by this module.

A scenario describes its page as blocks (a paragraph of text, or a `Table`) and its figures as a JSON
document; `markdown` turns the blocks into the Markdown that docs/performance/ includes verbatim (blocks
separated by one blank line, tables with a `---`/`---:` alignment row), `cell` is the one number format,
and `write` writes `<stem>.json` and `<stem>.md` atomically.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RIGHT, LEFT = "---:", "---"


def cell(value: Any, digits: int = 1) -> str:
    """A table cell: numbers with thousands separators and `digits` decimals (floats), '—' for missing."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@dataclass
class Table:
    """A Markdown table: its header, which columns are numeric (right-aligned), and its rows of cells."""

    header: Sequence[str]
    numeric: Sequence[bool] = ()
    rows: list[Sequence[Any]] = field(default_factory=list)

    def add(self, *cells: Any) -> Table:
        """Append one row (values go through `cell`)."""
        self.rows.append(cells)
        return self

    def lines(self) -> list[str]:
        """The table's Markdown lines."""
        numeric = [*self.numeric, *[False] * len(self.header)]
        align = [RIGHT if numeric[i] else LEFT for i in range(len(self.header))]
        return [_row(self.header), _row(align), *(_row([cell(c) for c in row]) for row in self.rows)]


def _row(cells: Sequence[str]) -> str:
    """One Markdown table line."""
    return "| " + " | ".join(cells) + " |"


Block = str | Table


def markdown(blocks: Sequence[Block]) -> str:
    """The page: paragraphs and tables separated by one blank line, ending with a newline."""
    parts = [block.strip("\n") if isinstance(block, str) else "\n".join(block.lines()) for block in blocks]
    return "\n\n".join(part for part in parts if part) + "\n"


def results_folder(text: str) -> Path:
    """argparse type of --out: the folder, created if missing, checked writable before anything is measured
    (a full run that ends in a traceback at write time would lose its figures)."""
    path = Path(text)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise argparse.ArgumentTypeError(f"cannot create the folder {text}: {error.strerror}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"cannot write to the folder {text}")
    return path


def write(
    directory: Path, stem: str, document: dict[str, Any], page: str | Sequence[Block]
) -> tuple[Path, Path]:
    """Write `<stem>.json` (the document) and `<stem>.md` (the page) atomically; return both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    text = page if isinstance(page, str) else markdown(page)
    paths = (directory / f"{stem}.json", directory / f"{stem}.md")
    for path, content in zip(paths, (json.dumps(document, indent=2) + "\n", text), strict=True):
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(content)
        os.replace(tmp, path)
    return paths
