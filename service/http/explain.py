"""The explanation parts of HTTP and V2 answers: `?explain=true` and V2's requested `contributions` output.

Every number comes from `runtime.explain.Explainer` (the one implementation, shared with the batch CLI and
Spark), so a row's contributions are the same bits on every path. The routes call these helpers at a few
marked lines; a plain request never reaches them beyond `requested`, which answers False at once when the
request has no query string (the /predict hot path stays as it was).

- `?explain=true` (or `false`, the same as leaving it out) on `POST /predict` and `POST /predict/batch`
  adds `"explanation": {"base": …, "contributions": {"age": …, "salary": …, "gender": …}}` to each answer,
  as the last key. Any other value, or the parameter given twice: 400 `invalid_parameter`.
- A model without an explanation background (a file exported before explanations existed) still scores;
  only explanations are refused: 409 `explanation_unavailable`, before anything is scored or counted.
Errors keep the service's shape (service.http.errors); under /v2 the V2 routes render them as
`{"error": message}` with the same status.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Final
from urllib.parse import parse_qs

from runtime import v2
from runtime.errors import ExplanationUnavailable
from runtime.explain import Explainer
from runtime.predictor import Predictor
from runtime.v2 import FloatArray, InferRequest
from service.http.errors import HTTPError

logger = logging.getLogger(__name__)

PARAMETER: Final = "explain"
VALUES: Final = {"true": True, "false": False}
QUERY_PARAMETERS: Final = (
    {
        "name": PARAMETER,
        "in": "query",
        "required": False,
        "schema": {"type": "boolean", "default": False},
        "description": "`true` adds `explanation` to each answer: the base rate and the exact Shapley "
        "contribution of age, salary and gender (they add up to the unrounded probability). `false` is the "
        "same as leaving it out; any other value is 400. A model without an explanation background "
        "answers 409.",
    },
)


class InvalidParameter(HTTPError):
    """A query parameter has a value the route does not accept."""

    status = 400
    code = "invalid_parameter"


class ExplanationNotAvailable(HTTPError):
    """Explanations were asked of a model that carries no explanation background."""

    status = 409
    code = "explanation_unavailable"


def requested(environ: dict[str, Any]) -> bool:
    """Whether the request asks for explanations (`?explain=true`); 400 for a value other than true/false."""
    query = environ.get("QUERY_STRING")
    if not query:
        return False
    values = parse_qs(query, keep_blank_values=True).get(PARAMETER)
    if values is None:
        return False
    if len(values) != 1 or values[0] not in VALUES:
        message = "Must be true or false, given once."
        raise InvalidParameter(
            f"The query parameter '{PARAMETER}' must be 'true' or 'false', given once.",
            [{"field": PARAMETER, "message": message}],
        )
    return VALUES[values[0]]


def explainer(predictor: Predictor) -> Explainer:
    """The predictor's explainer; 409 when its model carries no explanation background."""
    try:
        return Explainer.of(predictor)
    except ExplanationUnavailable as exc:
        raise ExplanationNotAvailable(f"No explanations for this model: {exc}.") from None


def answer_tail(found: Explainer, age: float, salary: float, gender: str) -> str:
    """`, "explanation": {…}` for one /predict answer, to put before the answer's constant tail."""
    return ', "explanation": ' + json.dumps(found.explain([age], [salary], [gender]).document(0))


def add_to_items(found: Explainer, items: list[dict[str, Any]], columns: tuple[Any, Any, Any]) -> None:
    """Add each batch answer's `explanation` (as its last key), rows in request order."""
    result = found.explain(*columns)
    for row, item in enumerate(items):
        item["explanation"] = result.document(row)


def v2_explainer(predictor: Predictor, rows: InferRequest) -> Explainer | None:
    """The explainer when the V2 request names the `contributions` output (409 without a background)."""
    return explainer(predictor) if v2.CONTRIBUTIONS in rows.outputs else None


def v2_contributions(found: Explainer | None, rows: InferRequest) -> FloatArray | None:
    """The [N, 3] contributions of the V2 rows when requested, else None."""
    return None if found is None else found.explain(rows.age, rows.salary, rows.gender).contributions


def explainable(predictor: Predictor) -> bool:
    """Whether the model carries an explanation background (V2 metadata then lists `contributions`)."""
    return predictor.metadata.explanation_background is not None
