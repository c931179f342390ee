"""The product's command (`purchase-predictor`, `python -m purchase_predictor`) and its one version.

Why a package of its own: the product's code lives in the agreed top-level packages (runtime, service,
monitoring, scoring, training, export) and none of them is the home of the whole job — the service must not
import training, runtime must not import the service. The command wraps them all, so it sits above them in
this small package named after the distribution; it holds only the command line and the one version
(`__version__`, read by pyproject.toml, `purchase-predictor --version` and the service's `/model`).
Importing it loads nothing (tests/test_import_rules.py): every subcommand imports its module when it runs.
Reference: docs/reference/cli.md.
"""

__version__ = "1.0.0"
