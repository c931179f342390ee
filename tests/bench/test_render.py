"""The one renderer of bench/results: cells, tables, pages and atomic writes."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from bench.harness.report import Table, cell, markdown, results_folder, write


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [(None, 1, "—"), (1234.567, 1, "1,234.6"), (0.5, 2, "0.50"), (12345, 1, "12,345"), ("x", 1, "x")],
)
def test_a_cell_separates_thousands_and_marks_missing_values(
    value: object, digits: int, expected: str
) -> None:
    assert cell(value, digits) == expected


def test_a_table_right_aligns_its_numeric_columns() -> None:
    table = Table(["name", "req/s", "what"], [False, True]).add("a", 1234.5, "").add("b", None, "note")
    assert table.lines() == [
        "| name | req/s | what |",
        "| --- | ---: | --- |",
        "| a | 1,234.5 |  |",
        "| b | — | note |",
    ]


def test_a_page_separates_its_blocks_by_one_blank_line() -> None:
    page = markdown(["Intro.\n", Table(["a"]).add(1), "", "Outro."])
    assert page == "Intro.\n\n| a |\n| --- |\n| 1 |\n\nOutro.\n"


def test_write_replaces_both_files_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x.md").write_text("old")
    json_path, md_path = write(tmp_path / "out", "x", {"figure": 1.5}, ["New."])
    assert json.loads(json_path.read_text()) == {"figure": 1.5}
    assert md_path.read_text() == "New.\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["x.json", "x.md"]


@pytest.mark.parametrize(
    "module",
    ["bench.run", "bench.rejection", "bench.layouts", "bench.devices", "bench.front", "bench.front_pair"],
)
def test_a_results_folder_that_cannot_be_made_is_refused_in_one_line_before_anything_is_measured(
    module: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(SystemExit) as stopped:
        importlib.import_module(module).main(["--quick", "--out", str(blocker / "results")])
    assert stopped.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.endswith(f"argument --out: cannot create the folder {blocker / 'results'}: Not a directory")


def test_a_results_folder_is_created_when_missing(tmp_path: Path) -> None:
    assert results_folder(str(tmp_path / "new" / "results")) == tmp_path / "new" / "results"
    assert (tmp_path / "new" / "results").is_dir()
