"""The model contract in one place (standard library only): inputs, domain, outputs, metadata, decision.

Every package reads these names and numbers from here: training and export write models that honour
them, `runtime/` checks models and rows against them, the service documents them. docs/model-contract.md
describes the same contract in prose.
"""

from __future__ import annotations

import math
from typing import Final

# --- inputs ----------------------------------------------------------------------------------------
AGE: Final = "age"
SALARY: Final = "salary"
GENDER: Final = "gender"
INPUT_NAMES: Final = (AGE, SALARY, GENDER)
NUMERIC_INPUTS: Final = (AGE, SALARY)
GENDERS: Final = ("Female", "Male")
ONNX_INPUT_TYPES: Final = {AGE: "tensor(double)", SALARY: "tensor(double)", GENDER: "tensor(string)"}

# The valid input domain: 0 < age <= 120, 0 <= salary <= 1,000,000, gender exactly Female or Male.
AGE_MIN: Final = 0.0  # exclusive
AGE_MAX: Final = 120.0
SALARY_MIN: Final = 0.0
SALARY_MAX: Final = 1_000_000.0
DOMAIN: Final = {AGE: (AGE_MIN, AGE_MAX), SALARY: (SALARY_MIN, SALARY_MAX)}
EXCLUSIVE_MIN: Final = frozenset({AGE})

# How the rules read in error messages and documents (the API, batch files and V2 all use these words).
RANGE_RULES: Final = {AGE: "greater than 0 and at most 120", SALARY: "from 0 to 1000000"}
GENDER_RULE: Final = "'Female' or 'Male' (case-sensitive)"
# The input schema a model declares in its metadata (`input_schema`); it must cover this domain.
INPUT_SCHEMA: Final = {
    AGE: {"type": "float64", "min": 0, "max": 120, "min_exclusive": True},
    SALARY: {"type": "float64", "min": 0, "max": 1000000},
    GENDER: {"type": "string", "enum": list(GENDERS)},
}

# --- outputs ---------------------------------------------------------------------------------------
LABEL_OUTPUT: Final = "label"
PROBABILITIES_OUTPUT: Final = "probabilities"  # [N, 2]; column 1 is P(buy)
ONNX_OUTPUT_TYPES: Final = {LABEL_OUTPUT: "tensor(int64)", PROBABILITIES_OUTPUT: "tensor(double)"}
YES: Final = "Yes"
NO: Final = "No"

# --- metadata_props --------------------------------------------------------------------------------
SCHEMA_VERSION: Final = "1"
SUPPORTED_SCHEMA_VERSIONS: Final = frozenset({SCHEMA_VERSION})
META_SCHEMA_VERSION: Final = "schema_version"
META_MODEL_VERSION: Final = "model_version"
META_MODEL_FAMILY: Final = "model_family"
META_CALIBRATION: Final = "calibration"
META_THRESHOLD: Final = "threshold"
META_INPUT_SCHEMA: Final = "input_schema"
META_TRAINING_RANGES: Final = "training_ranges"
META_DATA_FINGERPRINT: Final = "data_fingerprint"
META_METRICS: Final = "metrics"
META_LIBRARY_VERSIONS: Final = "library_versions"
META_CREATED_AT: Final = "created_at"
META_GOLDEN_EXAMPLES: Final = "golden_examples"
META_REFERENCE_PROFILE: Final = "reference_profile"  # binned training profile for drift monitoring
META_FAIRNESS: Final = "fairness"  # optional JSON: per-gender slices and gender-flip numbers
# Keys every runtime needs; export writes all of METADATA_KEYS.
REQUIRED_METADATA: Final = (
    META_SCHEMA_VERSION,
    META_MODEL_VERSION,
    META_THRESHOLD,
    META_INPUT_SCHEMA,
    META_TRAINING_RANGES,
    META_GOLDEN_EXAMPLES,
)
METADATA_KEYS: Final = (
    META_SCHEMA_VERSION,
    META_MODEL_VERSION,
    META_MODEL_FAMILY,
    META_CALIBRATION,
    META_THRESHOLD,
    META_INPUT_SCHEMA,
    META_TRAINING_RANGES,
    META_DATA_FINGERPRINT,
    META_METRICS,
    META_LIBRARY_VERSIONS,
    META_CREATED_AT,
    META_GOLDEN_EXAMPLES,
    META_REFERENCE_PROFILE,
)
JSON_METADATA: Final = (
    META_INPUT_SCHEMA,
    META_TRAINING_RANGES,
    META_METRICS,
    META_LIBRARY_VERSIONS,
    META_GOLDEN_EXAMPLES,
    META_REFERENCE_PROFILE,
    META_FAIRNESS,
)

# --- checks and decision ---------------------------------------------------------------------------
GOLDEN_TOLERANCE: Final = 1e-6  # a runtime must reproduce every golden example within this
DEFAULT_THRESHOLD: Final = 0.6


def decide(probability: float, threshold: float) -> bool:
    """The business decision: buy (`Yes`) when the unrounded probability reaches the threshold."""
    return probability >= threshold


def label(buy: bool) -> str:
    """The decision as the API spells it."""
    return YES if buy else NO


def valid_threshold(value: float) -> bool:
    """Whether a threshold can be used: a finite number strictly between 0 and 1."""
    return math.isfinite(value) and 0.0 < value < 1.0


def in_domain(name: str, value: float) -> bool:
    """Whether a finite number lies in an input's valid domain (False for NaN)."""
    low, high = DOMAIN[name]
    if name in EXCLUSIVE_MIN:
        return low < value <= high
    return low <= value <= high
