"""Side-by-side comparison of server variants: interleaved wrk rounds, per-round ratios to a reference.

Used by bench.devices (each performance device switched off alone), bench.layouts (worker and thread
layouts), bench.front (the front's settings) and bench.front_pair (its plan options, start-up and
output). Every variant runs at once on its own loopback port; each round measures every variant in a
rotated order, so drift and the neighbours' load hit all of them alike.
Ratios are medians of per-round ratios; their spread (min-max over rounds) and an identical second copy of
the reference (`A/A`) show the run-to-run noise.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.harness import report, servers, wrk
from bench.harness.models import resolve_models
from bench.harness.report import Table
from bench.harness.rounds import SEED_EXAMPLE, HttpPlan, Rounds, interleave, warm

log = logging.getLogger(__name__)

METRICS = ("requests_per_s", "p50_ms", "p99_ms", "server_cpu_us")


def parser(prog: str, description: str | None, option: str, choices: list[str]) -> argparse.ArgumentParser:
    """A variant benchmark's options: the plan's, `--<option>` (which variants) and --out."""
    p = argparse.ArgumentParser(prog=prog, description=description)
    add_plan_arguments(p)
    p.add_argument(f"--{option}", nargs="*", choices=choices, default=list(choices))
    p.add_argument("--out", type=report.results_folder, default=servers.ROOT / "bench" / "results")
    return p


def measure_models(
    build: Callable[[Path], list[servers.ServerSpec]], plan: HttpPlan, prefix: str
) -> tuple[Rounds, str]:
    """The rounds of the servers `build` makes for the model under test (bench.harness.models, in a
    temporary folder), and where that model came from."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        _, onnx_path, source = resolve_models(Path(tmp))
        return measure(build(onnx_path), plan, Path(tmp)), source


def add_plan_arguments(parser: argparse.ArgumentParser, rounds: int = 3) -> None:
    """The options every variant benchmark takes: --quick, --rounds, --duration, --connections."""
    parser.add_argument("--quick", action="store_true", help="1 round × 2 s (a smoke run)")
    parser.add_argument("--rounds", type=int, help=f"interleaved rounds (default {rounds})")
    parser.add_argument("--duration", type=float, help="seconds per wrk run (default 5)")
    parser.add_argument("--connections", type=int, default=16)


def plan_from(args: argparse.Namespace, rounds: int = 3) -> HttpPlan:
    """The HTTP plan those options describe (no batch endpoint runs); `rounds` unless told (1 when quick)."""
    return HttpPlan(
        rounds=args.rounds or (1 if args.quick else rounds),
        duration_s=args.duration or (2.0 if args.quick else 5.0),
        warmup_s=1.0,
        connections=args.connections,
        batch_size=0,
    )


def publish(
    args: argparse.Namespace,
    stem: str,
    plan: HttpPlan,
    rounds: Any,
    summary: Any,
    page: list[report.Block],
    **extra: Any,
) -> int:
    """Write `<stem>.{json,md}` (`<stem>-quick` for a --quick run) to --out: the plan, every round, the
    summary and `extra`; print the page; return the exit status 0."""
    document = {"plan": vars(plan), "rounds": rounds, "summary": summary, **extra}
    report.write(args.out, f"{stem}-quick" if args.quick else stem, document, page)
    sys.stdout.write(report.markdown(page))
    return 0


@contextlib.contextmanager
def warmed(
    specs: list[servers.ServerSpec], plan: HttpPlan, workdir: Path
) -> Iterator[tuple[dict[str, servers.RunningServer], Path]]:
    """Every server started and warmed up, by name, with the wrk script that posts the seed example."""
    body = json.dumps(SEED_EXAMPLE).encode()
    script = wrk.write_script(workdir, body)
    with contextlib.ExitStack() as stack:
        running = {spec.name: stack.enter_context(servers.serve(spec, workdir)) for spec in specs}
        for server in running.values():
            warm(server, script, body, plan)
        yield running, script


def measure(specs: list[servers.ServerSpec], plan: HttpPlan, workdir: Path) -> Rounds:
    """Per variant, one result per round (the order rotated each round): wrk's figures plus the servers'
    CPU µs per request."""
    with warmed(specs, plan, workdir) as (running, script):
        return interleave(running, script, plan, rotate=True)


def summarize(rounds: Rounds, reference: str) -> dict[str, dict[str, Any]]:
    """Per variant: medians, errors, and per-round ratios to `reference` (median, min, max)."""
    out: dict[str, dict[str, Any]] = {}
    base = rounds[reference]
    for name, results in rounds.items():
        row: dict[str, Any] = {m: round(statistics.median(r[m] for r in results), 2) for m in METRICS}
        row["errors"] = sum(r["errors"] for r in results)
        for metric in METRICS:
            pairs = [r[metric] / b[metric] for r, b in zip(results, base, strict=True) if b[metric]]
            if pairs:
                row[f"{metric}_ratio"] = round(statistics.median(pairs), 3)
                row[f"{metric}_spread"] = [round(min(pairs), 3), round(max(pairs), 3)]
        out[name] = row
    return out


def table(summary: dict[str, dict[str, Any]], reference: str, notes: dict[str, str]) -> Table:
    """Medians and ratios (median [min-max] over rounds) to the reference, one row per variant."""
    result = Table(
        [
            "variant",
            "req/s",
            "p50 ms",
            "p99 ms",
            "CPU µs/req",
            f"req/s ÷ {reference}",
            f"p99 ÷ {reference}",
            f"CPU ÷ {reference}",
            "errors",
            "what",
        ],
        [False, *[True] * 8, False],
    )
    for name, row in summary.items():
        ratios = [
            f"{row.get(f'{m}_ratio', 0):.2f} [{row[f'{m}_spread'][0]:.2f}-{row[f'{m}_spread'][1]:.2f}]"
            if f"{m}_spread" in row
            else "—"
            for m in ("requests_per_s", "p99_ms", "server_cpu_us")
        ]
        result.add(
            name,
            f"{row['requests_per_s']:,.0f}",
            f"{row['p50_ms']:.2f}",
            f"{row['p99_ms']:.2f}",
            f"{row['server_cpu_us']:,.0f}",
            *ratios,
            str(row["errors"]),
            notes.get(name, ""),
        )
    return result


def render(summary: dict[str, dict[str, Any]], reference: str, notes: dict[str, str]) -> str:
    """The variants' table as Markdown (bench.harness.report)."""
    return report.markdown([table(summary, reference, notes)])
