"""The zip `spark-submit --py-files` ships to the driver and every executor: the project code the job imports.

`python -m scoring.spark_bundle [ZIP]` (`make spark-zip`) writes it, by default to
build/spark/purchase_predictor.zip. Only the packages' .py files go in (no caches, no tests), in a fixed
order with fixed timestamps, so the same source gives the same bytes. On a cluster the executors need
nothing else from this repository; their Python needs the runtime layer (numpy, onnxruntime, pyarrow).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import zipfile
from pathlib import Path

logger = logging.getLogger("scoring.spark_bundle")

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("runtime", "scoring", "monitoring")  # what scoring.spark imports (tests/scoring check it)
DEFAULT_ZIP = REPO / "build" / "spark" / "purchase_predictor.zip"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def package_files(repo: Path = REPO) -> list[Path]:
    """Every .py file of the shipped packages, relative to the repository, in a stable order."""
    files = []
    for package in PACKAGES:
        files += [p.relative_to(repo) for p in (repo / package).rglob("*.py") if "__pycache__" not in p.parts]
    return sorted(files)


def build(target: Path = DEFAULT_ZIP, repo: Path = REPO) -> Path:
    """Write the zip atomically (a half-written zip never carries the name) and return its path."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as bundle:
            for relative in package_files(repo):
                info = zipfile.ZipInfo(relative.as_posix(), FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                bundle.writestr(info, (repo / relative).read_bytes())
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def main(argv: list[str] | None = None) -> int:
    """Build the zip at the given path (default build/spark/purchase_predictor.zip)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(
        prog="python -m scoring.spark_bundle", description=__doc__.splitlines()[0]
    )
    parser.add_argument("zip", nargs="?", type=Path, default=DEFAULT_ZIP, help="where to write the zip")
    path = build(parser.parse_args(argv).zip)
    logger.info("wrote %s (%s)", path, ", ".join(PACKAGES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
