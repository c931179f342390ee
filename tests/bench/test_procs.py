"""The /proc walker: workers, descendants, CPU seconds and VmRSS, against a fake /proc tree."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.harness.procs import (
    child_pids,
    cpu_model,
    cpu_seconds,
    descendants,
    parse_status_kib,
    rss_kib,
    rss_mib,
    tree_cpu_seconds,
    worker_levels,
    worker_memory,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("VmRSS:\t  2048 kB\n", 2048), ("Name:\tx\nVmRSS: 1 kB\n", 1), ("Name:\tx\n", None)],
)
def test_parse_status_kib_reads_the_vmrss_line(text: str, expected: int | None) -> None:
    assert parse_status_kib(text) == expected


def test_child_pids_lists_workers_but_not_helpers_or_strangers(fake_proc: Path) -> None:
    assert child_pids(100, fake_proc) == [101, 102]


def test_rss_of_a_vanished_process_is_none(fake_proc: Path) -> None:
    assert rss_kib(999, fake_proc) is None


def test_worker_memory_reports_each_worker_and_the_median(fake_proc: Path) -> None:
    memory = worker_memory(100, proc=fake_proc)
    assert memory["workers"] == 2
    assert memory["worker_rss_mib"] == [60.0, 70.0]
    assert memory["median_worker_rss_mib"] == 65.0
    assert memory["master_rss_mib"] == 40.0


def test_worker_memory_with_explicit_pids_and_none_alive(fake_proc: Path) -> None:
    memory = worker_memory(100, pids=[998], proc=fake_proc)
    assert memory["workers"] == 0 and memory["median_worker_rss_mib"] is None


def test_rss_of_this_process_is_positive() -> None:
    assert (rss_kib(os.getpid()) or 0) > 0


def test_cpu_seconds_adds_user_and_system_time_of_live_processes(fake_proc: Path) -> None:
    stat = "101 (py (thon)) S 100 1 1 0 -1 0 0 0 0 0 250 50 0 0 20 0 1 0\n"
    (fake_proc / "101" / "stat").write_text(stat)
    ticks = os.sysconf("SC_CLK_TCK")
    assert cpu_seconds([101, 999], fake_proc) == pytest.approx(300 / ticks)


def test_descendants_walk_the_whole_tree_helpers_included(fake_proc: Path) -> None:
    (fake_proc / "104").mkdir()
    (fake_proc / "104" / "stat").write_text("104 (java) S 101 1 1 0 -1\n")
    assert sorted(descendants(100, fake_proc)) == [100, 101, 102, 103, 104]
    assert descendants(200, fake_proc) == [200]


def test_worker_levels_go_down_level_by_level_without_helpers(fake_proc: Path) -> None:
    (fake_proc / "104").mkdir()
    (fake_proc / "104" / "stat").write_text("104 (nginx) S 101 1 1 0 -1\n")
    (fake_proc / "104" / "cmdline").write_bytes(b"nginx: worker process")
    assert worker_levels(100, 2, fake_proc) == [[101, 102], [104]]
    assert worker_levels(200, 1, fake_proc) == [[]]


def test_tree_cpu_seconds_adds_the_root_and_its_descendants(fake_proc: Path) -> None:
    for pid, ppid, ticks in ((100, 1, 10), (101, 100, 20), (103, 100, 30), (200, 1, 1000)):
        (fake_proc / str(pid) / "stat").write_text(f"{pid} (p) S {ppid} 1 1 0 -1 0 0 0 0 0 {ticks} 0 0 0\n")
    assert tree_cpu_seconds(100, fake_proc) == pytest.approx(60 / os.sysconf("SC_CLK_TCK"))


def test_rss_mib_gives_zero_for_a_vanished_process(fake_proc: Path) -> None:
    assert rss_mib([101, 999], fake_proc) == {101: 60.0, 999: 0.0}


def test_cpu_model_reads_the_model_name_line_or_gives_none(fake_proc: Path) -> None:
    assert cpu_model(fake_proc) is None
    (fake_proc / "cpuinfo").write_text("processor\t: 0\nmodel name\t: Test CPU @ 2.0GHz\n")
    assert cpu_model(fake_proc) == "Test CPU @ 2.0GHz"
