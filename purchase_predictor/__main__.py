"""`python -m purchase_predictor …` = `purchase-predictor …` (docs/reference/cli.md)."""

import sys

from purchase_predictor.cli import main

sys.exit(main())
