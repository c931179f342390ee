"""Request and response schemas; the validation rules below are enforced here and documented in OpenAPI.

Rules for a customer (`POST /predict` body, or each item of `customers` in `POST /predict/batch`):
- `age`: a JSON number with 0 < age <= 120 (integers and decimals both accepted).
- `salary`: a JSON number with 0 <= salary <= 1,000,000.
- `gender`: the string "Female" or "Male"; case and surrounding whitespace are ignored ("  mALe " is
  "Male", `runtime.contract.normalise_gender`), and the model always receives "Female" or "Male".
- All three are required. Numbers must be JSON numbers: strings ("45"), booleans and null are rejected;
  so are `NaN`, `Infinity` and values too large for a float64 (e.g. `1e999`).
- Unknown fields are rejected with 422 and named in the error (names are truncated to 64 characters).
- A batch holds 1 to 10,000 customers; the answer keeps their order. Errors name the batch index.
- A 422 explains at most 10 problems in `details` (checked in this order: the body is an object, unknown
  keys, then each field; customer by customer in a batch); its `message` names the first three and
  counts all the others ("and K more"). docs/api-limits.md has the rules.
Values outside the ranges seen in training are still predicted and come back with `warnings`.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields
from marshmallow.validate import Length, OneOf, Range

from runtime import contract as c

MAX_BATCH = 10_000
GENDERS = list(c.GENDERS)
AGE_RULE = f"a JSON number {c.RANGE_RULES[c.AGE]}"
SALARY_RULE = f"a JSON number {c.RANGE_RULES[c.SALARY]}"
GENDER_RULE = c.GENDER_RULE
# contract.normalise_gender as a JSON Schema pattern, for clients and property tests: in Python's `re`,
# `\s` is exactly the whitespace `str.strip` removes (JavaScript's `\s` differs only in rare code points).
GENDER_PATTERN = r"^\s*([Ff][Ee][Mm][Aa][Ll][Ee]|[Mm][Aa][Ll][Ee])\s*$"


class JSONNumber(fields.Float):
    """A finite JSON number: strings, booleans, NaN, infinities and overflowing values are rejected."""

    default_error_messages = {  # noqa: RUF012 - marshmallow merges these class attributes
        "invalid": "Must be a JSON number, not a string, boolean or other type.",
        "special": "Must be a finite number (NaN and Infinity are not accepted).",
        "too_large": "Must be a finite number that fits in a float64.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        """Accept only int and float values that come straight from the JSON parser."""
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Gender(fields.String):
    """A gender by the contract's rule, loaded as 'Female' or 'Male'; anything else is refused."""

    default_error_messages = {"gender": f"Must be {GENDER_RULE}."}  # noqa: RUF012 - merged by marshmallow

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        """A string (as fields.String checks it) in the contract's spelling."""
        gender = c.normalise_gender(super()._deserialize(value, attr, data, **kwargs))
        if gender is None:
            raise self.make_error("gender")
        return gender


class CustomerSchema(Schema):
    """One customer to score."""

    class Meta:
        unknown = RAISE

    age = JSONNumber(
        required=True,
        validate=Range(min=c.AGE_MIN, max=c.AGE_MAX, min_inclusive=False, error=f"Must be {AGE_RULE}."),
        metadata={"description": f"Age in years: {AGE_RULE}.", "example": 45, "exclusiveMinimum": True},
    )
    salary = JSONNumber(
        required=True,
        validate=Range(min=c.SALARY_MIN, max=c.SALARY_MAX, error=f"Must be {SALARY_RULE}."),
        metadata={"description": f"Estimated yearly salary: {SALARY_RULE}.", "example": 90000},
    )
    gender = Gender(
        required=True,
        metadata={
            "description": f"Gender: {GENDER_RULE}; the model receives 'Female' or 'Male'.",
            "example": "Male",
            "pattern": GENDER_PATTERN,
        },
    )


class BatchRequestSchema(Schema):
    """Up to 10,000 customers scored in one model call."""

    class Meta:
        unknown = RAISE

    customers = fields.List(
        fields.Nested(CustomerSchema),
        required=True,
        validate=Length(min=1, max=MAX_BATCH, error=f"Must hold 1 to {MAX_BATCH} customers."),
        metadata={"description": f"1 to {MAX_BATCH} customers; answers come back in the same order."},
    )


_PROBABILITY = {
    "description": "P(buy), rounded to 4 decimals for display; the decision uses the exact value."
}
_DECISION = {"description": "'Yes' when the unrounded probability >= threshold, else 'No'."}
_WARNINGS = {"description": "Notes for inputs outside the ranges seen in training (still predicted)."}


_FEEDBACK_TOKEN = {
    "description": "Signed, opaque receipt of this prediction (no inputs inside); send it with the real "
    "outcome to POST /feedback. Present when drift monitoring is on."
}


class ContributionsSchema(Schema):
    """Each input's exact Shapley contribution to the probability (+0.31: pushes the chance up 31 points)."""

    age = fields.Float(required=True)
    salary = fields.Float(required=True)
    gender = fields.Float(required=True, metadata={"description": "Exactly 0 for a model without gender."})


class ExplanationSchema(Schema):
    """Why this probability: base + age + salary + gender = the unrounded probability (within 1e-12)."""

    base = fields.Float(
        required=True,
        metadata={"description": "The mean probability over the model's explanation background (/model)."},
    )
    contributions = fields.Nested(ContributionsSchema, required=True)


_EXPLANATION = {
    "description": "With `?explain=true` only: the base rate and each input's exact contribution "
    "(unrounded float64, the same bits as the batch CLI's and V2's; docs/model/explanations.md)."
}


class BatchItemSchema(Schema):
    """One answer in a batch."""

    probability = fields.Float(required=True, validate=Range(0, 1), metadata=_PROBABILITY)
    prediction = fields.String(required=True, validate=OneOf([c.YES, c.NO]), metadata=_DECISION)
    warnings = fields.List(fields.String(), required=True, metadata=_WARNINGS)
    feedback_token = fields.String(metadata=_FEEDBACK_TOKEN)  # drift monitoring
    explanation = fields.Nested(ExplanationSchema, metadata=_EXPLANATION)  # ?explain=true


class PredictionSchema(BatchItemSchema):
    """The answer for one customer."""

    threshold = fields.Float(required=True, metadata={"description": "Decision threshold in use."})
    model_version = fields.String(required=True, metadata={"description": "Content-derived model id."})


class BatchResponseSchema(Schema):
    """Answers for a batch, in request order."""

    predictions = fields.List(fields.Nested(BatchItemSchema), required=True)
    threshold = fields.Float(required=True)
    model_version = fields.String(required=True)


class HealthSchema(Schema):
    """The process is alive."""

    status = fields.String(required=True, validate=OneOf(["ok"]))


class ReadySchema(Schema):
    """The model is loaded and reproduced its golden examples."""

    status = fields.String(required=True, validate=OneOf(["ready"]))
    model_version = fields.String(required=True)


class BackgroundPointSchema(Schema):
    """One background point: the mean age and salary of at least 5 training rows of one gender."""

    age = fields.Float(required=True)
    salary = fields.Float(required=True)
    gender = fields.String(required=True, validate=OneOf(GENDERS))


class BackgroundSchema(Schema):
    """The explanation background: points and their weights (summing to 1)."""

    points = fields.List(fields.Nested(BackgroundPointSchema), required=True)
    weights = fields.List(fields.Float(), required=True)


class ModelInfoSchema(Schema):
    """What the loaded model is and what it accepts."""

    package_version = fields.String(required=True, metadata={"description": "purchase-predictor --version"})
    model_version = fields.String(required=True)
    model_family = fields.String(required=True)
    calibration = fields.String(required=True)
    schema_version = fields.String(required=True)
    created_at = fields.String(required=True)
    threshold = fields.Float(required=True)
    threshold_source = fields.String(required=True, validate=OneOf(["metadata", "PREDICT_THRESHOLD"]))
    inputs = fields.Dict(required=True, metadata={"description": "Accepted inputs and valid ranges."})
    training_ranges = fields.Dict(required=True, metadata={"description": "[min, max] seen in training."})
    metrics = fields.Dict(required=True, metadata={"description": "Headline test and CV metrics."})
    max_batch = fields.Integer(required=True)
    explanation_background = fields.Nested(
        BackgroundSchema,
        required=True,
        allow_none=True,
        metadata={
            "description": "The weighted points explanations are computed against (null for a "
            "model without one): enough to recompute any contribution."
        },
    )


class ErrorDetailSchema(Schema):
    """One problem with the request, naming the field and, in a batch, the index."""

    field = fields.String(required=True, metadata={"description": "Path, e.g. 'customers[3].age'."})
    index = fields.Integer(metadata={"description": "Batch index, when the problem is in a customer."})
    message = fields.String(required=True)


class ErrorSchema(Schema):
    """Every error: 400, 404, 405, 413, 415, 422, 500 and 503 all share this shape."""

    error = fields.String(required=True, metadata={"description": "Machine-readable code."})
    message = fields.String(required=True, metadata={"description": "What went wrong and what to do."})
    details = fields.List(fields.Nested(ErrorDetailSchema), required=True)
    request_id = fields.String(required=True)


INPUT_RULES: dict[str, Any] = {
    c.AGE: {"type": "number", "min": 0, "max": 120, "min_exclusive": True},
    c.SALARY: {"type": "number", "min": 0, "max": 1_000_000},
    c.GENDER: {"type": "string", "enum": GENDERS, "case_sensitive": False, "strip": True},
}


def flatten_errors(messages: Any, prefix: str = "", index: int | None = None) -> list[dict[str, Any]]:
    """Turn marshmallow's nested message dict into a flat list of {field, index, message}."""
    details: list[dict[str, Any]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if isinstance(key, int):
                details += flatten_errors(value, f"{prefix}[{key}]", key)
            elif key == "_schema":
                what = prefix or "The body"
                details += [detail(prefix or "(body)", index, f"{what} must be a JSON object.")]
            else:
                name = str(key)[:64]
                details += flatten_errors(value, f"{prefix}.{name}" if prefix else name, index)
    elif isinstance(messages, list):
        for message in messages:
            details += (
                flatten_errors(message, prefix, index)
                if isinstance(message, dict | list)
                else [detail(prefix or "(body)", index, str(message))]
            )
    else:
        details.append(detail(prefix or "(body)", index, str(messages)))
    return details


def detail(field: str, index: int | None, message: str) -> dict[str, Any]:
    """Build one error detail."""
    return (
        {"field": field, "message": message}
        if index is None
        else {
            "field": field,
            "index": index,
            "message": message,
        }
    )


def summarize(details: list[dict[str, Any]], total: int | None = None) -> str:
    """One readable sentence for the error's `message`: the first few problems, and how many more."""
    total = len(details) if total is None else total
    parts = [f"{d['field']}: {d['message']}" for d in details[:3]]
    more = f" (and {total - len(parts)} more)" if total > len(parts) else ""
    return "Invalid input. " + "; ".join(parts) + more


__all__ = ["ValidationError"]
