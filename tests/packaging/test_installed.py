"""The built wheel installed into fresh venvs outside the repository: what a user gets from `pip install`.

The runtime venv has the wheel and its runtime dependencies only (pins of requirements/runtime.txt); the
training venv adds the [training] extra. Every command runs with its cwd outside the repository and no
PYTHONPATH, so nothing from the source tree is importable. Installs come from the package index.
"""

from __future__ import annotations

import csv
import json
import shutil
import signal
import subprocess
import tarfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import numpy as np
import pytest

from purchase_predictor import __version__
from runtime.predictor import Predictor
from tests.packaging.conftest import Venv
from tests.packaging.dist import REPO
from tests.service.server import free_port

pytestmark = pytest.mark.integration

MODEL = REPO / "models" / "purchase_model.onnx"
PRODUCT = {"purchase_predictor", "runtime", "service", "monitoring", "scoring", "training", "export"}
CUSTOMERS = [("1", 45, 90_000, "Male"), ("2", 19, 20_000, "Female"), ("3", 60, 140_000, "Female")]


def _write_customers(path: Path) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["User ID", "Age", "EstimatedSalary", "Gender"])
        writer.writerows(CUSTOMERS)
    return path


def _expected(model: Path) -> list[float]:
    """The source tree's own answer for CUSTOMERS (in this test process, not the venv)."""
    ages, salaries, genders = zip(*((a, s, g) for _, a, s, g in CUSTOMERS), strict=True)
    return list(
        Predictor.from_path(model).probabilities(
            np.array(ages, float), np.array(salaries, float), np.array(genders, dtype=object)
        )
    )


def test_the_wheel_and_the_sdist_hold_the_product_and_nothing_else(dist: tuple[Path, Path]) -> None:
    wheel, sdist = dist
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top == PRODUCT
    packages = {
        p.parent.relative_to(REPO).as_posix() for top in PRODUCT for p in (REPO / top).rglob("__init__.py")
    }
    assert {f"{package}/__init__.py" for package in packages} <= set(
        names
    )  # every subpackage, none forgotten
    assert {
        "service/process/gunicorn.conf.py",
        "service/http/page/index.html",
        "service/http/page/style.css",
    } <= set(names)
    assert not [n for n in names if n.endswith((".onnx", ".joblib", ".pyc"))]  # the model is not inside
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert (
        "purchase-predictor = purchase_predictor.cli:main"
        in zipfile.ZipFile(wheel).read(entry_points).decode()
    )
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
    assert f"purchase_predictor-{__version__}/pyproject.toml" in members
    assert f"purchase_predictor-{__version__}/service/http/page/index.html" in members
    assert not [
        m for m in members if m.partition("/")[2].split("/")[0] in {"tests", "bench", "models", "data"}
    ]


def test_the_runtime_install_has_the_command_and_no_training_stack(runtime_venv: Venv) -> None:
    version = runtime_venv.run("--version")
    assert (version.returncode, version.stdout) == (0, f"purchase-predictor {__version__}\n")
    probe = (
        "import importlib.util as u, runtime, service, monitoring, scoring; "
        "print(runtime.__file__); "
        "print(*[m for m in ('sklearn', 'pandas', 'xgboost', 'matplotlib', 'pyspark', 'bench', 'tests') "
        "if u.find_spec(m)])"
    )
    result = runtime_venv.run("python", "-c", probe)
    assert result.returncode == 0, result.stderr
    where, heavy = result.stdout.splitlines()
    assert Path(where).is_relative_to(runtime_venv.root) and heavy == ""
    assert runtime_venv.run("python", "-c", "import sklearn").returncode != 0


def test_the_installed_command_serves_a_model_file(runtime_venv: Venv, tmp_path: Path) -> None:
    model = Path(shutil.copy(MODEL, tmp_path / "any-name.onnx"))  # any model file, not one in the package
    port = free_port()
    env = runtime_venv.env(PREDICT_WORKERS="1", PREDICT_STATE_DIR=str(tmp_path / "state"))
    log = (tmp_path / "server.log").open("w")  # a file, not a pipe nobody reads while it serves
    server = subprocess.Popen(
        [
            str(runtime_venv.command),
            "serve",
            "--model",
            str(model),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=runtime_venv.workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"{base}/ready", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "the installed service did not become ready in 60 s"
                time.sleep(0.3)
        request = urllib.request.Request(
            f"{base}/predict",
            json.dumps({"age": 45, "salary": 90000, "gender": "Male"}).encode(),
            {"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            answer = json.load(response)
        with urllib.request.urlopen(f"{base}/model", timeout=5) as response:
            described = json.load(response)
        with urllib.request.urlopen(f"{base}/", timeout=5) as response:
            page = response.read().decode()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()
    assert answer["probability"] == pytest.approx(_expected(MODEL)[0], abs=1e-4)
    assert answer["prediction"] in {"Yes", "No"}
    assert described["package_version"] == __version__
    assert described["model_version"] == answer["model_version"]
    assert "<html" in page.lower()  # the page's assets are in the wheel
    assert server.returncode == 0


def test_the_installed_command_refuses_a_bad_model_in_one_line(runtime_venv: Venv, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"not a model")
    port = str(free_port())
    result = runtime_venv.run(
        "serve", "--model", str(garbage), "--host", "127.0.0.1", "--port", port, timeout=120
    )
    assert result.returncode == 3, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "cannot start" in line]
    assert len(errors) == 1 and "not a loadable ONNX model" in errors[0]


def test_the_installed_command_scores_a_csv(runtime_venv: Venv, tmp_path: Path) -> None:
    source = _write_customers(tmp_path / "customers.csv")
    output = tmp_path / "scored.csv"
    result = runtime_venv.run(
        "score", "--input", str(source), "--output", str(output), PREDICT_MODEL_PATH=str(MODEL)
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with output.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["User ID"] for row in rows] == ["1", "2", "3"]
    assert [float(row["probability"]) for row in rows] == pytest.approx(_expected(MODEL), abs=1e-12)


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["score", "--input", "missing.csv", "--output", "out.csv"], 4, "does not exist"),
        (["train"], 3, "pip install 'purchase-predictor[training]'"),
        (["spark", "--input", "in.csv", "--output", "out"], 3, "pip install 'purchase-predictor[spark]'"),
        (["drift", "--current", "missing.csv"], 4, "does not exist"),
    ],
)
def test_the_installed_command_fails_in_one_line(
    runtime_venv: Venv, args: list[str], code: int, fragment: str
) -> None:
    result = runtime_venv.run(*args, PREDICT_MODEL_PATH=str(MODEL))
    assert result.returncode == code, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1 and fragment in errors[0], result.stderr


@pytest.mark.slow
def test_the_training_install_trains_exports_and_the_runtime_install_scores_it(
    training_venv: Venv, runtime_venv: Venv, tmp_path: Path
) -> None:
    data = Path(shutil.copy(REPO / "data" / "customers.csv", tmp_path / "customers.csv"))
    run = tmp_path / "run"
    trained = training_venv.run(
        "train", "--data", str(data), "--fast", "--out-dir", str(run), "--report-dir", str(run), timeout=1200
    )
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert {"purchase_pipeline.joblib", "training.json", "metrics.json", "report.html"} <= {
        p.name for p in run.iterdir()
    }
    model = run / "candidate.onnx"
    exported = training_venv.run(
        "export",
        "--bundle",
        str(run / "purchase_pipeline.joblib"),
        "--model",
        str(model),
        "--card",
        str(run / "model_card.json"),
        "--small",
        timeout=1200,
    )
    assert exported.returncode == 0, exported.stderr[-3000:]
    card = json.loads((run / "model_card.json").read_text())
    assert all(entry["passed"] for entry in card["parity"])

    source = _write_customers(tmp_path / "customers-to-score.csv")
    output = tmp_path / "scored.csv"
    scored = runtime_venv.run("score", "--input", str(source), "--output", str(output), "--model", str(model))
    assert scored.returncode == 0, scored.stderr[-3000:]
    with output.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [float(row["probability"]) for row in rows] == pytest.approx(_expected(model), abs=1e-12)
    assert {row["model_version"] for row in rows} == {card["metadata"]["model_version"]}
