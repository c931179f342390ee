"""The drift report page: escaping, labelled charts, bin edges, UTC times and what to do per level."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from monitoring.documents import DriftWindow
from monitoring.evaluate import evaluate_series
from monitoring.profile import ReferenceProfile
from monitoring.report import GUIDANCE, bin_labels, render
from runtime.predictor import Predictor
from tests.monitoring.test_evaluate import window

REPO = Path(__file__).resolve().parents[2]
DAY = 86_400
START = 1_764_547_200  # 2025-12-01T00:00:00Z
HOSTILE = "<script>alert(1)</script>\"'\r\nx"


def days(committed: Predictor, profile: ReferenceProfile, n: int, **shift: float) -> list[DriftWindow]:
    """`n` consecutive one-day windows of 300 generated rows, evaluated."""
    windows = []
    for i in range(n):
        w = window(committed, profile, START + i * DAY, 300, seed=i, **shift)
        w.end = w.start + DAY
        windows.append(w)
    return evaluate_series(profile, windows)


def test_model_and_file_strings_are_escaped(committed: Predictor, profile: ReferenceProfile) -> None:
    (entry,) = days(committed, profile, 1)
    entry["model_version"] = HOSTILE
    entry["label"] = HOSTILE  # the file name of an offline check
    entry["data_quality"]["rejected"][HOSTILE] = 3  # a field (column) name
    entry["features"][HOSTILE] = entry["features"]["age"].copy()  # a column the report does not know
    page = render({"windows": [entry], "store": HOSTILE}, title=HOSTILE)
    assert "<script" not in page and "\r" not in page
    assert "\"'" not in page  # quotes escaped in text and attributes
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&#39;\\r\\nx"
    assert page.count(escaped) >= 7  # title ×2, store, label ×2, model version, field, feature name …


def test_one_window_says_why_there_is_no_trend(committed: Predictor, profile: ReferenceProfile) -> None:
    page = render({"windows": days(committed, profile, 1), "store": "file"})
    assert 'id="no-trend"' in page and "at least two evaluated windows" in page
    assert "per window</figcaption>" not in page  # no empty trend boxes


def test_every_trend_and_bin_chart_is_labelled(committed: Predictor, profile: ReferenceProfile) -> None:
    page = render({"windows": days(committed, profile, 3), "store": "sqlite"})
    assert 'id="no-trend"' not in page
    trends = re.findall(r"<figcaption>(\w+): −log10 adjusted p per window</figcaption>", page)
    assert trends == ["age", "salary", "gender", "score"]
    charts = re.findall(r"<figcaption>(\w+): share of rows per bin</figcaption>", page)
    assert charts == ["age", "salary", "gender", "score"] * 3
    assert page.count("<svg") == len(trends) + len(charts)
    assert page.count("<title>") == 1 + page.count("<svg")  # every chart has an accessible name


def test_bins_are_shown_with_their_edges(committed: Predictor, profile: ReferenceProfile) -> None:
    (entry,) = days(committed, profile, 1)
    page = render({"windows": [entry], "store": "file"})
    edges = profile.numeric["age"].edges
    labels = bin_labels("age", edges, len(edges) + 1)
    assert labels[0] == f"≤ {edges[0]:g}" and labels[-1] == f"> {edges[-1]:g}"
    assert labels[1] == f"{edges[0]:g}–{edges[1]:g}"
    table = page.split("<caption>age bins</caption>")[1].split("</table>")[0]
    assert re.findall(r"<tr><td>([^<]+)</td>", table) == [label.replace(">", "&gt;") for label in labels]
    salary = bin_labels("salary", profile.numeric["salary"].edges, len(profile.numeric["salary"].counts))
    assert all(re.fullmatch(r"(≤ |> )?[\d,]+(–[\d,]+)?", label) for label in salary), salary
    assert bin_labels("gender", None, 2) == ["Female", "Male"]


def test_window_times_are_iso_utc_not_unix(committed: Predictor, profile: ReferenceProfile) -> None:
    entries = days(committed, profile, 2)
    page = render({"windows": entries, "store": "sqlite", "window_seconds": DAY})
    assert str(START) not in page and str(START + DAY) not in page
    assert '<time datetime="2025-12-01T00:00:00Z">2025-12-01 00:00 UTC</time>' in page
    assert '<time datetime="2025-12-03T00:00:00Z">2025-12-03 00:00 UTC</time>' in page  # the newest's end


@pytest.mark.parametrize(("shift", "level"), [(0.0, "none"), (10.0, "page")])
def test_what_to_do_names_the_latest_level(
    committed: Predictor, profile: ReferenceProfile, shift: float, level: str
) -> None:
    entries = days(committed, profile, 2, age_shift=shift)
    assert entries[-1]["level"] == level
    page = render({"windows": entries, "store": "sqlite"})
    assert f'id="latest-level">{level}</span>' in page
    current = re.findall(r'<tr class="current" data-level="(\w+)">', page)
    assert current == [level]
    for text in GUIDANCE.values():
        assert text in page


def test_the_docs_give_the_same_advice_as_the_report() -> None:
    docs = " ".join((REPO / "docs" / "monitoring.md").read_text(encoding="utf-8").split())
    for level, text in GUIDANCE.items():
        assert text.replace("PREDICT_MONITOR_WINDOW", "`PREDICT_MONITOR_WINDOW`") in docs, level


def test_an_empty_document_renders() -> None:
    page = render({"windows": [], "store": "sqlite"})
    assert "No window yet" in page and 'id="latest-level"' not in page and page.rstrip().endswith("</html>")
