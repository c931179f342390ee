"""The model contract in one place (standard library only): inputs, domain, outputs, metadata, decision.

Every package reads these names and numbers from here: training and export write models that honour
them, `runtime/` checks models and rows against them, the service documents them. docs/model-contract.md
describes the same contract in prose.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Final

# --- inputs ----------------------------------------------------------------------------------------
AGE: Final = "age"
SALARY: Final = "salary"
GENDER: Final = "gender"
INPUT_NAMES: Final = (AGE, SALARY, GENDER)
NUMERIC_INPUTS: Final = (AGE, SALARY)
GENDERS: Final = ("Female", "Male")
ONNX_INPUT_TYPES: Final = {AGE: "tensor(double)", SALARY: "tensor(double)", GENDER: "tensor(string)"}

# The valid input domain: 0 < age <= 120, 0 <= salary <= 1,000,000, gender Female or Male (any case,
# surrounding whitespace ignored: `normalise_gender`). The model itself only ever sees GENDERS.
AGE_MIN: Final = 0.0  # exclusive
AGE_MAX: Final = 120.0
SALARY_MIN: Final = 0.0
SALARY_MAX: Final = 1_000_000.0
DOMAIN: Final = {AGE: (AGE_MIN, AGE_MAX), SALARY: (SALARY_MIN, SALARY_MAX)}
EXCLUSIVE_MIN: Final = frozenset({AGE})

# How the rules read in error messages and documents (the API, batch files and V2 all use these words).
RANGE_RULES: Final = {AGE: "greater than 0 and at most 120", SALARY: "from 0 to 1000000"}
GENDER_RULE: Final = "'Female' or 'Male' (case and surrounding spaces are ignored)"
# Accepted gender spellings after `str.strip().lower()` -> the contract's spelling; the exact spellings are
# keys too, so the common case is one dictionary lookup.
_GENDER_SPELLINGS: Final = {**{g: g for g in GENDERS}, **{g.lower(): g for g in GENDERS}}
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
# optional JSON: the k-anonymous background of exact explanations (runtime/background.py reads it)
META_EXPLANATION_BACKGROUND: Final = "explanation_background"
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
    META_EXPLANATION_BACKGROUND,
)

# The explanation background (docs/model/explanations.md): points that each summarise at least
# BACKGROUND_MIN_ROWS training rows (k-anonymity; no raw row), at most BACKGROUND_MAX_POINTS of them, each
# weighted by its share of the training rows.
BACKGROUND_MIN_ROWS: Final = 5
BACKGROUND_MAX_POINTS: Final = 1024

# --- metadata strings: what a model file may put into a header, a log line or a page ----------------
# model_version goes into every response's X-Model-Version header (RFC 9110: visible ASCII only), into
# every feedback token, file names of the model store and log lines; model_family and calibration are
# shown beside it. They must be short tokens. created_at and data_fingerprint are shown as text: printable
# ASCII, bounded. JSON-valued entries only ever reach JSON documents (escaped) or are parsed into numbers.
TOKEN_MAX: Final = 64
TOKEN_RULE: Final = (
    f"1 to {TOKEN_MAX} ASCII letters, digits, '.', '-', '_' or '+', starting with a letter or digit"
)
TOKEN_METADATA: Final = (META_MODEL_VERSION, META_MODEL_FAMILY, META_CALIBRATION)
TEXT_MAX: Final = 128
TEXT_RULE: Final = f"at most {TEXT_MAX} printable ASCII characters"
TEXT_METADATA: Final = (META_CREATED_AT, META_DATA_FINGERPRINT)
_TOKEN = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._+-]{{0,{TOKEN_MAX - 1}}}")
_TEXT = re.compile(rf"[\x20-\x7e]{{0,{TEXT_MAX}}}")
# The largest model file any runtime opens unless told otherwise (PREDICT_MAX_MODEL_BYTES in the service,
# --max-model-bytes in the batch CLI). The shipped forest is 0.2 MB; docs/operations/model-checks.md.
DEFAULT_MAX_MODEL_BYTES: Final = 64 * 1024 * 1024


def valid_token(value: str) -> bool:
    """Whether a metadata value is a safe short token (model_version, model_family, calibration)."""
    return _TOKEN.fullmatch(value) is not None


def metadata_problem(meta: Mapping[str, str]) -> str | None:
    """The first metadata string that could break a header, a log line or a page, as one line; else None.

    Checks the token entries that are present (TOKEN_RULE) and the text entries (TEXT_RULE); a missing
    entry is not a problem here (REQUIRED_METADATA says which must be there).
    """
    for key in TOKEN_METADATA:
        value = meta.get(key)
        if value is not None and not valid_token(value):
            return f"{key} must be {TOKEN_RULE}; got {shown(value)} ({len(value)} characters)"
    for key in TEXT_METADATA:
        value = meta.get(key)
        if value is not None and _TEXT.fullmatch(value) is None:
            return f"{key} must be {TEXT_RULE}; got {shown(value)} ({len(value)} characters)"
    return None


def shown(value: object, limit: int = 40) -> str:
    """A model-supplied string as a message may print it: as is when it is a safe token (at most 64
    characters), else quoted with every character outside printable ASCII escaped (no CR, LF or
    non-ASCII ever) and cut to `limit` characters."""
    text = str(value)
    if valid_token(text):
        return text
    return ascii(text[:limit]) + ("..." if len(text) > limit else "")


def printable(text: str, limit: int = 500) -> str:
    """A message that may quote model strings, safe for one log line: characters outside printable ASCII
    escaped (\\n, \\x.., \\u....), cut to `limit` characters."""
    safe = "".join(ch if " " <= ch <= "~" else ascii(ch)[1:-1] for ch in text[:limit])
    return safe + ("..." if len(text) > limit else "")


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


def normalise_gender(value: object) -> str | None:
    """The contract's spelling of a gender ('Female' or 'Male'), or None when `value` is not one.

    The one rule for every entry point (API, V2, batch files, Spark, training, drift files): case and
    surrounding whitespace (`str.strip`) are ignored, so "  mALe " is "Male"; anything else ("M",
    "femme", "", "Fe male", a non-string) is refused.
    """
    if not isinstance(value, str):
        return None
    found = _GENDER_SPELLINGS.get(value)
    return found if found is not None else _GENDER_SPELLINGS.get(value.strip().lower())


def in_domain(name: str, value: float) -> bool:
    """Whether a finite number lies in an input's valid domain (False for NaN)."""
    low, high = DOMAIN[name]
    if name in EXCLUSIVE_MIN:
        return low < value <= high
    return low <= value <= high
