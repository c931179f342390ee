"""One self-contained HTML page from the drift document: what to do, trends, then each window in detail.

Rendered from `monitoring/templates/drift_report.html.j2` with autoescape, so every string that comes from
a model or a file (model version, file name, field names) is escaped. No scripts, no external files.
Window bins with fewer than SMALL_CELL rows are shown as "<5" and drawn as empty, windows under MIN_ROWS
rows as insufficient, so the page never singles out a handful of customers. Used by /monitoring/report,
`python -m monitoring.drift` and `python -m scoring.batch --drift`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from itertools import pairwise
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from monitoring.documents import FEATURES, QUALITY_METRICS, drift_sections
from monitoring.evaluate import ALPHA, MIN_ROWS, SMALL_CELL
from runtime import contract as c

# What to do at each level; docs/monitoring.md carries the same sentences (a test checks).
GUIDANCE = {
    "none": "Nothing to do: no test alarmed.",
    "warning": (
        "Look at the input marked as alarm, its PSI against the PSI noise floor, and the out-of-range and "
        "rejected counts; one warning alone is often noise (1 % of windows warn without any drift)."
    ),
    "page": (
        "The inputs really moved: check the upstream data (a changed export, a new customer segment), "
        "compare the estimated quality with the reference and, with labels, the realized quality; retrain "
        "on recent data when quality dropped."
    ),
    "insufficient": (
        f"No test ran (fewer than {MIN_ROWS} rows): wait for more traffic, use a longer "
        "PREDICT_MONITOR_WINDOW, or check a larger file."
    ),
}
LEVEL_NAMES = {"none": "none", "warning": "warning", "page": "page", "insufficient": "insufficient rows"}
_BARS_W, _BARS_H, _BARS_AXIS = 420, 90, 16
_TREND_W, _TREND_H, _TREND_LEFT, _TREND_TOP, _TREND_PLOT = 300, 104, 34, 6, 72
_TREND_MAX = 6.0  # -log10 p drawn up to 1e-6

_CONTROL = {i: f"\\x{i:02x}" for i in range(32) if i != 9} | {13: "\\r", 10: "\\n", 127: "\\x7f"}


def _visible(value: Any) -> Any:
    """Strings with control characters spelled out ("\\r\\n"), so a line break in a model version or file
    name shows as such and cannot split a heading; everything else unchanged (then autoescaped)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return value.translate(_CONTROL)
    return value


@cache
def environment(package: str) -> Environment:
    """The Jinja2 environment for a package's templates/ folder (package data): autoescape, strict
    undefined, control characters shown; built on first use, so importing a module reads no file."""
    env = Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_visible,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def clean(value: Any) -> Any:
    """The value with NaN and infinities as None, so its JSON is valid."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def _num(value: Any, digits: int = 4) -> str:
    """A number for the page ("–" for missing)."""
    if isinstance(value, bool) or value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.{digits}g}" if isinstance(value, float) else str(value)


def _edge(value: float) -> str:
    """A bin edge as people read it: 43,500 / 25.5 / 0.352."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{value:.3f}"


def bin_labels(name: str, edges: list[float] | None, size: int) -> list[str]:
    """One label per bin: "≤ 25.5", "25.5–30.5", …, "> 60.5" (bins are (low, high]); genders by name."""
    if name == c.GENDER and size == len(c.GENDERS):
        return list(c.GENDERS)
    if not edges or len(edges) + 1 != size:
        return [f"bin {i + 1}" for i in range(size)]
    text = [_edge(e) for e in edges]
    middle = [f"{low}–{high}" for low, high in pairwise(text)]
    return [f"≤ {text[0]}", *middle, f"> {text[-1]}"]


def _time(seconds: Any) -> dict[str, str] | None:
    """A Unix time as ISO 8601 UTC (for <time datetime>) and as a readable UTC date and time."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
        return None
    moment = datetime.fromtimestamp(seconds, UTC)
    return {"iso": moment.strftime("%Y-%m-%dT%H:%M:%SZ"), "text": moment.strftime("%Y-%m-%d %H:%M UTC")}


def _level(window: Mapping[str, Any]) -> str:
    """The window's level, "insufficient" for windows too small to test."""
    return "insufficient" if window.get("status") != "evaluated" else str(window.get("level", "none"))


def _bars(name: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    """A reference (grey) vs window (blue) bar chart and its bin table; small window cells left out."""
    reference, counts = list(entry["reference_counts"]), list(entry.get("counts", []))
    labels = bin_labels(name, entry.get("edges"), len(reference))
    ref_total, cur_total = sum(reference) or 1, sum(counts) or 1
    slot = _BARS_W / max(len(reference), 1)
    shown = [r / ref_total for r in reference] + [k / cur_total for k in counts if k >= SMALL_CELL]
    top = max(shown, default=0.0) or 1.0  # the tallest bar fills the chart
    rects, bins = [], []
    for i, label in enumerate(labels):
        r = reference[i]
        k = counts[i] if i < len(counts) else 0
        small = k < SMALL_CELL
        for offset, share, css in ((0.1, r / ref_total, "ref"), (0.5, k / cur_total, "cur")):
            if css == "cur" and small:
                continue
            h = share / top * (_BARS_H - 4)
            x = i * slot + offset * slot
            rects.append(
                {
                    "x": f"{x:.1f}",
                    "y": f"{_BARS_H - h:.1f}",
                    "w": f"{slot * 0.4:.1f}",
                    "h": f"{h:.1f}",
                    "css": css,
                }
            )
        bins.append(
            {
                "label": label,
                "reference": f"{r / ref_total:.1%}",
                "window": f"<{SMALL_CELL}" if small and k else str(k),
                "window_share": "–" if small else f"{k / cur_total:.1%}",
            }
        )
    edges = entry.get("edges")
    if name != c.GENDER and edges and len(edges) + 1 == len(reference):  # edge values at the boundaries
        step = max(1, math.ceil(len(edges) / 6))
        ticks = [{"x": f"{(i + 1) * slot:.1f}", "label": _edge(edges[i])} for i in range(0, len(edges), step)]
    else:
        ticks = [{"x": f"{(i + 0.5) * slot:.1f}", "label": label} for i, label in enumerate(labels)]
    return {
        "name": name,
        "width": _BARS_W,
        "height": _BARS_H + _BARS_AXIS,
        "base": _BARS_H,
        "rects": rects,
        "ticks": ticks,
        "bins": bins,
    }


def _short(window: Mapping[str, Any]) -> str:
    """A short x-axis label for a window: its start date, or its label."""
    moment = _time(window.get("start"))
    return moment["text"][:16] if moment else str(window.get("label", ""))


def _trends(windows: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per feature: -log10 of the adjusted p-value per evaluated window, with the alarm line."""
    evaluated = [w for w in windows if w.get("status") == "evaluated"]
    plot_w = _TREND_W - _TREND_LEFT - 8

    def y(value: float) -> float:
        return _TREND_TOP + _TREND_PLOT - min(value, _TREND_MAX) / _TREND_MAX * _TREND_PLOT

    charts = []
    for name in FEATURES:
        points = []
        for i, w in enumerate(evaluated):
            part = w.get("score", {}) if name == "score" else w.get("features", {}).get(name, {})
            p = max(float(part.get("p_value") or 1.0), 1e-12)
            x = _TREND_LEFT + i * plot_w / max(len(evaluated) - 1, 1)
            y_text = f"{y(-math.log10(p)):.1f}"
            points.append({"x": f"{x:.1f}", "y": y_text, "alarm": bool(part.get("alarm"))})
        charts.append(
            {
                "name": name,
                "points": points,
                "line": " ".join(f"{pt['x']},{pt['y']}" for pt in points),
                "y_ticks": [{"y": f"{y(v):.1f}", "label": f"{v:g}"} for v in (0, 2, 4, 6)],
                "alarm_y": f"{y(-math.log10(ALPHA)):.1f}",
            }
        )
    return charts


def _window(w: Mapping[str, Any], newest: bool) -> dict[str, Any]:
    """The template's view of one window."""
    start, end = _time(w.get("start")), _time(w.get("end"))
    view: dict[str, Any] = {
        "label": w.get("label"),
        "start": start,
        "end": end,
        "closed": w.get("closed"),
        "rows": w.get("rows", 0),
        "model_version": str(w.get("model_version", "")),
        "level": _level(w),
        "newest": newest,
        "features": [],
        "charts": [],
    }
    if view["level"] != "insufficient":
        for name, e in drift_sections(w):
            view["features"].append(
                {
                    "name": name,
                    "p": _num(e.get("p_value")),
                    "alarm": bool(e.get("alarm")),
                    "psi": _num(e.get("psi")),
                    "floor": _num(e.get("psi_noise_floor")),
                }
            )
            if "reference_counts" in e:
                view["charts"].append(_bars(name, e))
    q = w.get("quality", {})
    realized = q.get("realized", {})
    view["quality"] = [
        {
            "metric": m,
            "reference": _num(q.get("reference", {}).get(m)),
            "estimated": _num(q.get("estimated", {}).get(m)),
            "realized": _num(realized.get(m)),
        }
        for m in QUALITY_METRICS
    ]
    view["labels"] = realized.get("labels", 0)
    view["coverage"] = _num(realized.get("coverage"), 3)
    view["concept_drift"] = bool(q.get("concept_drift"))
    dq = w.get("data_quality", {})
    outside, rejected = dq.get("out_of_training_range") or {}, dq.get("rejected") or {}
    view["data_quality"] = [
        {"field": str(name), "outside": outside.get(name, "–"), "rejected": rejected.get(name, "–")}
        for name in [*outside, *(n for n in rejected if n not in outside)]
    ]
    return view


def render(doc: Mapping[str, Any], title: str = "Purchase Predictor — drift report") -> str:
    """The whole page."""
    windows = doc.get("windows", [])
    evaluated = [i for i, w in enumerate(windows) if w.get("status") == "evaluated"]
    newest = evaluated[-1] if evaluated else len(windows) - 1  # the window the "what to do" is about
    latest = _level(windows[newest]) if windows else None
    template = environment("monitoring").get_template("drift_report.html.j2")
    return template.render(
        title=title,
        store=str(doc.get("store", "file")),
        window_seconds=doc.get("window_seconds"),
        latest=latest,
        latest_window=_window(windows[newest], True) if windows else None,
        guidance=[{"level": k, "name": LEVEL_NAMES[k], "text": v} for k, v in GUIDANCE.items()],
        evaluated=len(evaluated),
        trends=_trends(windows) if len(evaluated) >= 2 else [],
        windows=[_window(w, i == newest) for i, w in reversed(list(enumerate(windows)))],
        alpha=ALPHA,
        min_rows=MIN_ROWS,
        small_cell=SMALL_CELL,
    )
