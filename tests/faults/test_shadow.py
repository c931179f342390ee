"""Shadow testing on a real gunicorn: `deploy --shadow`, answers unchanged, the per-window comparison equal to
one computed offline from the two models, SIGHUP, replace, refuse, discard, promote under load, a shadow
that fails to load."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests

from bench.harness.gunicorn import Gunicorn, gunicorn
from bench.harness.steady_load import Load
from runtime import contract as c
from runtime.predictor import Predictor
from service.process.shadow_slot import ShadowSlot
from tests.conftest import COMMITTED_MODEL
from tests.faults.helpers import deploy, last_reload, reload_and_wait, served_version
from tests.onnx_factory import write_model

pytestmark = pytest.mark.integration
LIVE_VERSION = "logreg-shadowlive01"
OTHER_VERSION = "logreg-shadowother1"
INFER = "/v2/models/purchase-predictor/infer"
RATE = 150
CHECK_ROW = {"age": 40, "salary": 50000, "gender": "Male"}  # what served_version() sends


def _profiled_logreg(path: Path, version: str) -> Path:
    """A small logistic-regression model carrying the committed model's reference profile (so the
    service monitors it)."""
    profile = Predictor.from_path(COMMITTED_MODEL).metadata.extra[c.META_REFERENCE_PROFILE]
    return write_model(path, {"model_version": version, c.META_REFERENCE_PROFILE: profile})


@pytest.fixture()
def candidate(tmp_path: Path) -> Path:
    """The committed forest (lookup table, reference profile) and its card, as `make export` leaves a run."""
    run = tmp_path / "run"
    run.mkdir()
    shutil.copyfile(COMMITTED_MODEL, run / "purchase_model.onnx")
    shutil.copyfile(COMMITTED_MODEL.with_name("model_card.json"), run / "model_card.json")
    return run / "purchase_model.onnx"


@contextmanager
def _server(tmp_path: Path, workers: int = 2) -> Iterator[Gunicorn]:
    """gunicorn on a monitored live model, with its own state directory and monitoring store."""
    live = _profiled_logreg(tmp_path / "live" / "purchase_model.onnx", LIVE_VERSION)
    db = str(tmp_path / "monitoring.sqlite3")
    with gunicorn(
        live, tmp_path / "state", tmp_path / "server.log", workers, PREDICT_MONITOR_DB=db
    ) as server:
        yield server


def _rows(seed: int, n: int) -> list[dict[str, Any]]:
    """Customers across the domain (some outside the forest's table and the training range)."""
    rng = np.random.default_rng(seed)
    ages = rng.integers(16, 75, n).astype(float)
    salaries = np.round(rng.uniform(10_000, 160_000, n), 2)
    genders = rng.choice(list(c.GENDERS), n)
    return [
        {"age": float(a), "salary": float(s), "gender": str(g)}
        for a, s, g in zip(ages, salaries, genders, strict=True)
    ]


def _answers(url: str, rows: list[dict[str, Any]]) -> list[Any]:
    """Each row through /predict, then all of them through /predict/batch and V2: bodies (feedback tokens,
    random by design, removed) and the X-Model-Version headers."""
    out: list[Any] = []
    with requests.Session() as session:
        for row in rows[:40]:
            answer = session.post(f"{url}/predict", json=row, timeout=10)
            assert answer.status_code == 200, answer.text
            body = answer.json()
            assert body.pop("feedback_token")
            out.append((answer.headers["X-Model-Version"], body))
        batch = session.post(f"{url}/predict/batch", json={"customers": rows[40:80]}, timeout=10)
        body = batch.json()
        for item in body["predictions"]:
            assert item.pop("feedback_token")
        out.append((batch.headers["X-Model-Version"], body))
        tensors = [
            {
                "name": name,
                "datatype": kind,
                "shape": [len(rows) - 80, 1],
                "data": [row[name] for row in rows[80:]],
            }
            for name, kind in (("age", "FP64"), ("salary", "FP64"), ("gender", "BYTES"))
        ]
        v2 = session.post(f"{url}{INFER}", json={"inputs": tensors}, timeout=10)
        assert v2.status_code == 200, v2.text
        out.append((v2.headers["X-Model-Version"], v2.json()["outputs"]))
    return out


def _offline(live: Path, candidate: Path, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The shadow section computed from the two model files, for the rows both scored."""
    columns = [
        np.array([row[name] for row in rows], dtype=float if name != "gender" else object)
        for name in ("age", "salary", "gender")
    ]
    old, new = Predictor.from_path(live), Predictor.from_path(candidate)
    p, q = old.probabilities(*columns), new.probabilities(*columns)
    live_yes, yes = p >= old.threshold, q >= new.threshold
    diff = np.abs(q - p)
    largest = float(np.floor(diff.max() * 10_000 + 0.5)) / 10_000  # to the 4 decimals the API answers
    return {
        "model_version": new.model_version,
        "rows": len(rows),
        "agreement": float(np.mean(live_yes == yes)),
        "mean_abs_diff": float(diff.mean()),
        "max_abs_diff": largest,
        "yes_rate": float(yes.mean()),
        "live_yes_rate": float(live_yes.mean()),
    }


def _drift(url: str, rows: int | None = None, timeout: float = 20, live: int = 0) -> dict[str, Any]:
    """/monitoring/drift, once the shadow section holds `rows` rows and the window `live` scored rows
    (every worker flushed: each flushes its own rows every 0.2 s; bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        doc: dict[str, Any] = requests.get(f"{url}/monitoring/drift", timeout=10).json()
        window = doc["windows"][-1] if doc["windows"] else None
        section = window["shadow"] if window else None
        counted = (window["rows"] if window else 0) >= live
        if (
            counted and (rows is None or (section and section["rows"] >= rows))
        ) or time.monotonic() > deadline:
            return doc
        time.sleep(0.2)


def _section_equals(section: dict[str, Any], expected: dict[str, Any]) -> None:
    """The service's numbers against the offline ones (sums over rows in another order: 1e-12)."""
    for key, value in expected.items():
        if isinstance(value, str):
            assert section[key] == value
        else:
            assert section[key] == pytest.approx(value, rel=0, abs=1e-12), (key, section[key], value)


def _logged(server: Gunicorn, text: str, count: int, timeout: float = 60) -> None:
    """Wait until the server has logged `text` `count` times (e.g. once per new worker; bounded)."""
    deadline = time.monotonic() + timeout
    while server.log().count(text) < count:
        assert time.monotonic() < deadline, f"{text!r} was not logged {count} times"
        time.sleep(0.1)


def _cli(server: Gunicorn, *args: str) -> Any:
    """`python -m purchase_predictor ARGS` (what the make targets run) against this server."""
    return deploy(server.model, server.state_dir, *args, module="purchase_predictor")


def test_shadow_scores_beside_the_live_model_without_changing_an_answer(
    tmp_path: Path, candidate: Path
) -> None:
    rows = _rows(7, 120)
    with _server(tmp_path) as server:
        before = _answers(server.url, rows)
        done = _cli(server, "deploy", "--shadow", str(candidate))
        assert done.returncode == 0, done.stderr
        assert "beside" in done.stderr and served_version(server) == LIVE_VERSION
        assert ShadowSlot(server.state_dir).current() is not None
        assert _answers(server.url, rows) == before  # every byte but the random tokens; the live version
        scored = [CHECK_ROW, *rows]
        doc = _drift(server.url, len(scored))
        expected = _offline(server.model, candidate, scored)
        section = doc["windows"][-1]["shadow"]
        _section_equals(section, expected)
        score = section["score"]  # the candidate's score drift against its own reference profile
        profile = json.loads(Predictor.from_path(candidate).metadata.extra[c.META_REFERENCE_PROFILE])
        assert sum(score["counts"]) == len(scored) and score["yes_rate"] == pytest.approx(
            expected["yes_rate"]
        )
        assert score["reference_counts"] == profile["score"]["counts"]
        assert doc["shadow"] == {"model_version": expected["model_version"], "state": "scoring", "reason": ""}
        metrics = requests.get(f"{server.url}/metrics", timeout=10).text
        line = f'predict_shadow_agreement{{model_version="{expected["model_version"]}",window="current"}} '
        values = [float(m.split()[-1]) for m in metrics.splitlines() if m.startswith(line)]
        assert values == [pytest.approx(expected["agreement"], abs=1e-12)], metrics
        history = _cli(server, "history").stderr
        assert f"shadow: {expected['model_version']}" in history, history

        reload_and_wait(server)  # SIGHUP: the new workers load the shadow from the store again
        _answers(server.url, rows)
        doc = _drift(server.url, len(scored) + len(rows))
        _section_equals(doc["windows"][-1]["shadow"], _offline(server.model, candidate, scored + rows))

        killed, seen = server.workers()[0], server.log().count("scoring the shadow model")
        os.kill(killed, signal.SIGKILL)  # a worker that dies is respawned with the shadow too
        server.wait_workers(2, exclude={killed})
        _logged(server, "scoring the shadow model", seen + 1)

        other = _profiled_logreg(tmp_path / "other" / "purchase_model.onnx", OTHER_VERSION)
        replaced = _cli(server, "deploy", "--shadow", str(other))
        assert replaced.returncode == 0 and "replacing the shadow model forest-" in replaced.stderr, (
            replaced.stderr
        )
        slot = ShadowSlot(server.state_dir)
        assert slot.current().version == OTHER_VERSION  # type: ignore[union-attr]
        assert len(list(slot.root.glob("*.onnx"))) == 1  # at most one shadow
        assert _drift(server.url)["shadow"]["model_version"] == OTHER_VERSION

        seq = last_reload(server)["seq"]
        bad = tmp_path / "bad.onnx"
        bad.write_bytes(b"\x08garbage")
        refused = _cli(server, "deploy", "--shadow", str(bad))
        assert refused.returncode == 3 and "not deployed" in refused.stderr, refused.stderr
        assert last_reload(server)["seq"] == seq and slot.current().version == OTHER_VERSION  # type: ignore[union-attr]
        live_again = _cli(server, "deploy", "--shadow", str(server.model))
        assert live_again.returncode == 3 and "is the live model already" in live_again.stderr

        discarded = _cli(server, "discard")
        assert discarded.returncode == 0, discarded.stderr
        assert slot.current() is None and not list(slot.root.glob("*.onnx"))
        assert _drift(server.url)["shadow"] is None
        assert _answers(server.url, rows) == before
        assert _cli(server, "discard").returncode == 5  # nothing left to discard


def test_promote_under_load_makes_the_shadow_live_and_rollback_goes_back(
    tmp_path: Path, candidate: Path
) -> None:
    with _server(tmp_path) as server:
        assert _cli(server, "deploy", "--shadow", str(candidate)).returncode == 0
        version = ShadowSlot(server.state_dir).current().version  # type: ignore[union-attr]
        load = Load(server.url, threads=4, rate=RATE).start()
        time.sleep(1)
        promoted = _cli(server, "promote")
        time.sleep(1)
        counts = load.stop()
        assert promoted.returncode == 0, promoted.stderr
        assert dict(counts.failed) == {} and counts.ok > 100, counts
        assert set(counts.versions) == {LIVE_VERSION, version}
        assert served_version(server) == version
        assert server.model.read_bytes() == candidate.read_bytes()
        assert (
            server.model.with_name("model_card.json").read_bytes()
            == candidate.with_name("model_card.json").read_bytes()
        )
        assert ShadowSlot(server.state_dir).current() is None
        assert _drift(server.url)["shadow"] is None  # the promoted model is not also its own shadow
        assert _cli(server, "promote").returncode == 5
        rolled = _cli(server, "rollback")
        assert rolled.returncode == 0, rolled.stderr
        assert served_version(server) == LIVE_VERSION


def test_a_shadow_that_fails_to_load_never_stops_the_live_model(tmp_path: Path, candidate: Path) -> None:
    with _server(tmp_path) as server:
        assert _cli(server, "deploy", "--shadow", str(candidate)).returncode == 0
        _logged(server, "scoring the shadow model", 2)  # both new workers have loaded it
        slot = ShadowSlot(server.state_dir)
        stored = slot.root / slot.current().file  # type: ignore[union-attr]
        stored.chmod(0o600)
        stored.write_bytes(stored.read_bytes()[:-100])  # damaged in the store after its checks
        logged = len(server.log())
        assert reload_and_wait(server)["ok"]
        assert served_version(server) == LIVE_VERSION
        rows = _rows(3, 90)
        _answers(server.url, rows)
        doc = _drift(server.url, live=len(rows))  # both workers' rows counted (the flush is per process)
        assert (
            doc["shadow"]["state"] == "failed"
            and "does not match its recorded hash" in doc["shadow"]["reason"]
        )
        assert doc["windows"][-1]["shadow"] is None
        failed = [
            line
            for line in server.log()[logged:].splitlines()
            if "failed to load, the live model serves" in line
        ]
        assert len(failed) == 2, failed  # one line per worker
        gauge = f'predict_shadow_loaded{{model_version="{slot.current().version}"}} 0.0'  # type: ignore[union-attr]
        assert gauge in requests.get(f"{server.url}/metrics", timeout=10).text
