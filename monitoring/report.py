"""One self-contained HTML page from the drift document: trends, then reference vs window per feature.

No scripts, no external files. Window bins with fewer than SMALL_CELL rows are shown as "<5" and drawn as
empty, windows under MIN_ROWS rows as insufficient, so the page never singles out a handful of customers.
"""

from __future__ import annotations

import html
import math
from typing import Any

from monitoring.evaluate import MIN_ROWS, SMALL_CELL

STYLE = (
    "body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0}"
    "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}.alarm{color:#b00;font-weight:bold}"
    ".ok{color:#070}svg{background:#fafafa;border:1px solid #ddd;margin:4px 8px 4px 0}"
)
FEATURES = ("age", "salary", "gender", "score")


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


def _bars(reference: list[int], counts: list[int]) -> str:
    """Reference (grey) vs window (blue) shares per bin; small window cells drawn empty."""
    ref_total, cur_total = sum(reference) or 1, sum(counts) or 1
    width, height, slot = 420, 90, 420 / max(len(reference), 1)
    shapes = []
    for i, (r, k) in enumerate(zip(reference, counts, strict=False)):
        for offset, share, colour in ((0.1, r / ref_total, "#999"), (0.5, k / cur_total, "#36c")):
            if colour == "#36c" and k < SMALL_CELL:
                continue
            h = min(share * 2.5, 1.0) * (height - 4)
            x = i * slot + offset * slot
            shapes.append(
                f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{slot * 0.4:.1f}" height="{h:.1f}" '
                f'fill="{colour}"/>'
            )
    return f'<svg width="{width}" height="{height}" role="img">{"".join(shapes)}</svg>'


def _trend(windows: list[dict[str, Any]], name: str) -> str:
    """-log10 of the adjusted p-value per evaluated window, with the alarm line."""
    points = []
    evaluated = [w for w in windows if w.get("status") == "evaluated"]
    for i, w in enumerate(evaluated):
        part = w["score"] if name == "score" else w["features"].get(name, {})
        p = max(float(part.get("p_value", 1.0)), 1e-12)
        x = 10 + i * (260 / max(len(evaluated) - 1, 1))
        points.append(f"{x:.1f},{80 - min(-math.log10(p), 6) * 12:.1f}")
    line = f'<polyline fill="none" stroke="#36c" points="{" ".join(points)}"/>' if points else ""
    alarm = (
        f'<line x1="0" x2="280" y1="{80 - 2 * 12}" y2="{80 - 2 * 12}" stroke="#b00" stroke-dasharray="4"/>'
    )
    return f'<svg width="280" height="84" role="img"><title>{name}</title>{alarm}{line}</svg>'


def _window(w: dict[str, Any]) -> str:
    """One window's section."""
    head = (
        f"<h2>{html.escape(str(w.get('label', w['start'])))} · {html.escape(str(w['rows']))} rows · model "
        f"{html.escape(str(w['model_version']))}</h2>"
    )
    if w.get("status") != "evaluated":
        return head + f"<p>Insufficient rows (fewer than {MIN_ROWS}): no statistics, no bins shown.</p>"
    level = w["level"]
    parts = [
        head,
        f'<p class="{"alarm" if level != "none" else "ok"}">Level: {html.escape(str(level))}</p>',
        "<table>"
        "<tr><th>feature</th><th>adjusted p</th><th>alarm</th><th>PSI</th>"
        "<th>PSI noise floor</th></tr>",
    ]
    entries = {**w["features"], "score": w["score"]}
    for name in FEATURES:
        e = entries.get(name, {})
        mark = '<span class="alarm">yes</span>' if e.get("alarm") else "no"
        psi, floor = _num(e.get("psi")), _num(e.get("psi_noise_floor"))
        parts.append(
            f"<tr><td>{name}</td><td>{_num(e.get('p_value'))}</td><td>{mark}</td>"
            f"<td>{psi}</td><td>{floor}</td></tr>"
        )
    parts.append("</table>")
    for name in FEATURES:
        e = entries.get(name, {})
        if "reference_counts" in e:
            cells = " ".join("&lt;5" if k < SMALL_CELL else str(k) for k in e["counts"])
            bars = _bars(e["reference_counts"], e["counts"])
            parts.append(
                f"<h3>{name}: reference (grey) vs window (blue)</h3>{bars}"
                f"<p>window counts per bin: {cells}</p>"
            )
    q = w.get("quality", {})
    est, real = q.get("estimated", {}), q.get("realized", {})
    parts.append(
        "<h3>Quality</h3><table><tr><th>metric</th><th>reference (CV)</th><th>estimated</th>"
        "<th>realized</th></tr>"
    )
    for metric in ("precision", "recall", "brier", "roc_auc"):
        parts.append(
            f"<tr><td>{metric}</td><td>{_num(q.get('reference', {}).get(metric))}</td>"
            f"<td>{_num(est.get(metric))}</td><td>{_num(real.get(metric))}</td></tr>"
        )
    parts.append(
        f"</table><p>labels: {real.get('labels', 0)} (coverage {_num(real.get('coverage'), 3)}); "
        f"concept drift: {'yes' if q.get('concept_drift') else 'no'}</p>"
    )
    dq = w.get("data_quality", {})
    parts.append(
        f"<p>out of training range: {html.escape(str(dq.get('out_of_training_range')))}; "
        f"rejected: {html.escape(str(dq.get('rejected')))}</p>"
    )
    return "".join(parts)


def render(doc: dict[str, Any], title: str = "Purchase Predictor — drift report") -> str:
    """The whole page."""
    windows = doc.get("windows", [])
    trends = "".join(_trend(windows, name) for name in FEATURES)
    body = "".join(_window(w) for w in reversed(windows))
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
        f"<p>Store: {html.escape(str(doc.get('store', 'file')))}. Trends: −log10 adjusted p-value per "
        f"window for age, salary, gender, score (dashed: alarm at 0.01).</p>{trends}{body}</body></html>"
    )
