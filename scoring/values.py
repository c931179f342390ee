"""Arrow columns of any type (text from CSV, numbers or text from Parquet/Spark) to validated NumPy inputs.

The value rules are the API's (`runtime.validation`); this module adds what only files have: numbers
written as text, literal NaN, and text that is not a number at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from runtime import contract as c
from runtime.validation import MESSAGES, number_problems, row_errors

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
_GENDER_OBJECTS = np.array(list(c.GENDERS), dtype=object)
TEXT_MESSAGE = "{name}: Must be a number, not text."


@dataclass(frozen=True)
class Number:
    """A parsed numeric column: values (NaN where missing), and which cells were text or literal NaN."""

    values: FloatArray
    text: BoolArray
    nan_literal: BoolArray


@dataclass(frozen=True)
class Rows:
    """A batch's inputs ready for the predictor, and per row the reason it cannot be scored (or None)."""

    age: FloatArray
    salary: FloatArray
    gender: npt.NDArray[np.object_]
    valid: BoolArray
    errors: list[str | None]
    invalid_by_field: dict[str, int]  # rows refused for each input (a row can count under several)
    codes: npt.NDArray[np.int32] | None = None  # gender's index in contract.GENDERS per row, -1 for none


def _plain(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous, non-dictionary array."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return array


def _float_numpy(array: pa.Array) -> FloatArray:
    """A float64 Arrow array as a NumPy array with NaN for nulls."""
    if array.null_count:
        array = pc.fill_null(array, pa.scalar(np.nan, pa.float64()))
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.float64)


def _parse_text(texts: pa.Array) -> tuple[FloatArray, BoolArray]:
    """Cell by cell (only for a batch with something the fast cast refused): values and a text mask."""
    values = np.full(len(texts), np.nan)
    text = np.zeros(len(texts), dtype=bool)
    for i, cell in enumerate(texts.to_pylist()):
        if cell is None:
            continue
        try:
            values[i] = float(cell.replace(",", ""))
        except ValueError:
            text[i] = True
    return values, text


def _cast_as_is(texts: pa.Array) -> FloatArray | None:
    """Every cell a number as written (the common CSV column): the cast alone, or None when a cell is
    empty, padded or not a number. Arrow's cast refuses "" and surrounding spaces, so a column it accepts
    reads the same as trimmed."""
    try:
        return _float_numpy(pc.cast(texts, pa.float64()))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def parse_number(array: pa.Array | pa.ChunkedArray) -> Number:
    """Numbers from an integer, float, decimal or text column; anything else counts as text."""
    array = _plain(array)
    kind = array.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        values = _float_numpy(pc.cast(array, pa.float64()))
        text = np.zeros(len(values), dtype=bool)
    elif (pa.types.is_string(kind) or pa.types.is_large_string(kind)) and (
        direct := _cast_as_is(array)
    ) is not None:
        values, text = direct, np.zeros(len(array), dtype=bool)
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
        trimmed = pc.utf8_trim_whitespace(array)
        trimmed = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, trimmed.type), trimmed)
        array = trimmed  # an empty cell is a missing value
        try:
            values, text = _float_numpy(pc.cast(trimmed, pa.float64())), np.zeros(len(array), dtype=bool)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            values, text = _parse_text(trimmed)
    else:
        values, text = np.full(len(array), np.nan), np.asarray(array.is_valid(), dtype=bool)
    nan_literal = np.isnan(values) & np.asarray(array.is_valid(), dtype=bool) & ~text
    return Number(values, text, nan_literal)


def gender_codes(array: pa.Array | pa.ChunkedArray) -> npt.NDArray[np.int32]:
    """Per row the index of the gender in the contract's list, -1 when it is not one of them.

    Cells spelled exactly as the contract's genders are read off the column's bytes (`_exact_codes`); the
    others go to `contract.normalise_gender` ("  mALe " is Male), once per distinct value of the batch.
    """
    array = _plain(array)
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return np.full(len(array), -1, dtype=np.int32)
    codes = _exact_codes(array)
    rest = np.flatnonzero(codes < 0)
    if len(rest) == len(codes):
        return _spelled_codes(array)
    if len(rest):
        codes[rest] = _spelled_codes(array.take(pa.array(rest)))
    return codes


def _exact_codes(array: pa.Array) -> npt.NDArray[np.int32]:
    """The contract's index of every non-null cell whose UTF-8 bytes are exactly one gender's, else -1:
    the cell's length from the offsets, then its bytes one position at a time."""
    width = np.int64 if pa.types.is_large_string(array.type) else np.int32
    _, offsets_buffer, data_buffer = array.buffers()
    offsets: npt.NDArray[np.intp] = np.frombuffer(
        offsets_buffer, dtype=width, count=len(array) + 1, offset=array.offset * np.dtype(width).itemsize
    ).astype(np.intp)
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    starts, lengths = offsets[:-1], np.diff(offsets)
    codes = np.full(len(array), -1, dtype=np.int32)
    for index, name in enumerate(c.GENDERS):
        spelled = np.frombuffer(name.encode(), dtype=np.uint8)
        rows = np.flatnonzero(lengths == len(spelled))
        at = starts[rows]
        match = np.ones(len(rows), dtype=bool)
        for byte in spelled.tolist():
            match &= data.take(at, mode="clip") == byte  # a null cell's offsets may be anything
            at += 1
        codes[rows[match]] = index
    if array.null_count:
        codes[~np.asarray(array.is_valid(), dtype=bool)] = -1
    return codes


def _spelled_codes(array: pa.Array) -> npt.NDArray[np.int32]:
    """`gender_codes` by `contract.normalise_gender` on the column's distinct values (dictionary-encoded)."""
    encoded = pc.dictionary_encode(array)
    spelled = (c.normalise_gender(value) for value in encoded.dictionary.to_pylist())
    lookup = np.array([-1 if g is None else c.GENDERS.index(g) for g in spelled] + [-1], dtype=np.int32)
    indices = encoded.indices  # null where the cell is null: the extra -1 at the end of `lookup`
    if indices.null_count:
        indices = pc.fill_null(indices, pa.scalar(len(lookup) - 1, indices.type))
    return lookup[np.asarray(indices.to_numpy(zero_copy_only=False), dtype=np.intp)]


def prepare(age: pa.Array, salary: pa.Array, gender: pa.Array) -> Rows:
    """Parse and validate one batch by the API's rules; messages name the field, never the value."""
    ages, salaries = parse_number(age), parse_number(salary)
    codes = gender_codes(gender)
    bad_age, bad_salary = number_problems(c.AGE, ages.values), number_problems(c.SALARY, salaries.values)
    bad_gender = codes < 0
    valid = ~(bad_age | bad_salary | bad_gender)
    masks = ((c.AGE, bad_age), (c.SALARY, bad_salary), (c.GENDER, bad_gender))
    by_field = {name: int(np.count_nonzero(mask)) for name, mask in masks}
    genders = _GENDER_OBJECTS[np.maximum(codes, 0)]
    errors: list[str | None] = [None] * len(codes)
    bad = np.flatnonzero(~valid)
    if len(bad):
        errors_at = _messages(bad, ages, salaries, _plain(gender))
        for i, message in zip(bad.tolist(), errors_at, strict=True):
            errors[i] = message
    return Rows(ages.values, salaries.values, genders, valid, errors, by_field, codes)


def _messages(bad: npt.NDArray[np.intp], ages: Number, salaries: Number, gender: pa.Array) -> list[str]:
    """The API's messages for the invalid rows; an empty cell is missing, as Spark's CSV reader sees it."""
    age = np.where(ages.nan_literal, np.inf, ages.values)[bad]  # literal NaN reads as "not finite"
    salary = np.where(salaries.nan_literal, np.inf, salaries.values)[bad]
    cells = gender.take(pa.array(bad)).to_pylist()
    raw = [None if isinstance(g, str) and not g.strip() else g for g in cells]
    messages = [m or "" for m in row_errors(age, salary, np.array([*raw, None], dtype=object)[:-1])]
    for name, number in ((c.AGE, ages), (c.SALARY, salaries)):
        missing, as_text = MESSAGES["missing"].format(name=name), TEXT_MESSAGE.format(name=name)
        for j in np.flatnonzero(number.text[bad]).tolist():
            messages[j] = messages[j].replace(missing, as_text)
    return messages
