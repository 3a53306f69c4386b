"""How each documented column is read: text, numbers, flags, timestamps; explicit, never a guess.

``_convert`` casts the documented columns of a table to their dtypes after validation
(:data:`~cxwidgets.schemas.models.MODELS`), appending a problem for each column that cannot be
read and a note for each conversion made; the time zones are settled by
:mod:`cxwidgets.schemas.timezones`.
"""

from __future__ import annotations

import polars as pl

from cxwidgets._util.text import plural
from cxwidgets.frames import read_yes_no
from cxwidgets.schemas.models import _Col, _spec
from cxwidgets.schemas.problems import _MAX_ROWS_SHOWN, _ColumnProblem, _Problem, _series_rows
from cxwidgets.schemas.timezones import _read_timestamps, _settle_zones


def _bad(s: pl.Series, positions: pl.Series, message: str, fix: str, short: str) -> _ColumnProblem:
    return _ColumnProblem(_Problem(s.name, message, fix, short, _series_rows(s, positions), n=len(positions)))


def _wrong_dtype(s: pl.Series, expected: str, fix: str) -> _ColumnProblem:
    first = s.is_not_null().arg_true().head(_MAX_ROWS_SHOWN)
    return _bad(s, first, f"has dtype {s.dtype}, which cannot be read as {expected}", fix, f"dtype {s.dtype}")


def _whole_floats(s: pl.Series, what: str) -> tuple[pl.Series, list[str]]:
    """Floats that are whole numbers, as Int64 (NaN read as null); others raise."""
    f = s.cast(pl.Float64)
    bad = (~f.is_nan() & (f.is_infinite() | (f.round(0) != f) | (f.abs() >= 2.0**53))).arg_true()
    if bad.len():
        raise _bad(
            s,
            bad,
            f"{plural(bad.len(), 'value')} with a fraction cannot be read as {what} without guessing",
            "store the column as text: whole-number floats (1.0) are read as '1', "
            "but a fraction is not an id or a label",
            "floats with a fraction",
        )
    notes = [f"{s.name}: whole-number floats read as {what} (1.0 -> '1')"]
    n_nan = int(f.is_nan().sum())
    if n_nan:
        notes.append(f"{s.name}: {plural(n_nan, 'NaN')} read as null")
    return f.fill_nan(None).cast(pl.Int64), notes


def _to_text(s: pl.Series) -> tuple[pl.Series, list[str]]:
    dtype = s.dtype
    is_id = s.name.endswith("_id")
    what = "text ids" if is_id else "text"
    if dtype == pl.String:
        return s, []
    if dtype in (pl.Null, pl.Categorical) or isinstance(dtype, pl.Enum):
        return s.cast(pl.String), []
    if dtype.is_integer():
        note = f"{s.name}: integers read as {what}" + (
            " (leading zeros lost before validation cannot be restored; keep ids as text)" if is_id else ""
        )
        return s.cast(pl.String), [note]
    if dtype.is_float() or dtype.is_decimal():
        ints, notes = _whole_floats(s, what)
        return ints.cast(pl.String), notes
    raise _wrong_dtype(s, what, f"pass '{s.name}' as text (e.g. .cast(pl.String) / .astype(str))")


def _to_float(s: pl.Series) -> tuple[pl.Series, list[str]]:
    dtype = s.dtype
    if dtype == pl.Float64:
        return s, []
    if dtype == pl.Null or dtype.is_integer() or dtype.is_float() or dtype.is_decimal():
        return s.cast(pl.Float64), []
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        raw = s.cast(pl.String)
        blank = raw.str.strip_chars() == ""
        n_blank = int(blank.sum())
        text = pl.select(pl.when(blank).then(None).otherwise(raw).alias(s.name)).to_series()  # blank: no answer
        num = text.str.strip_chars().cast(pl.Float64, strict=False)
        failed = (num.is_null() & text.is_not_null()).arg_true()
        if failed.len():
            bad = text.gather(failed).str.strip_chars()
            comma = bool(bad.str.contains(r"^[+-]?[0-9]*,[0-9]+$").all())  # "4,5": a decimal comma
            raise _bad(
                text,
                failed,
                f"{plural(failed.len(), 'value')} of {s.len():,} cannot be read as numbers"
                + (" (they are written with a decimal comma)" if comma else ""),
                f"read the decimal comma first: pl.col('{s.name}').str.replace(',', '.').cast(pl.Float64)"
                if comma
                else f"map the labels to numbers first (e.g. pl.col('{s.name}').replace_strict({{...}})), map "
                "'not applicable' codes to null, or drop those rows",
                "text that is not a number",
            )
        notes = [f"{s.name}: numeric text read as numbers"]
        if n_blank:
            notes.append(f"{s.name}: {plural(n_blank, 'blank value')} read as missing")
        return num, notes
    raise _wrong_dtype(s, "numbers", f"pass '{s.name}' as numbers (Float64)")


def _to_bool(s: pl.Series) -> tuple[pl.Series, list[str]]:
    """Flags by the one outcome reader (:func:`cxwidgets.frames.read_yes_no`)."""
    dtype = s.dtype
    if dtype == pl.Boolean:
        return s, []
    if dtype == pl.Null:
        return s.cast(pl.Boolean), []
    numeric = dtype.is_integer() or dtype.is_float()
    text = dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)
    if not (numeric or text):
        raise _wrong_dtype(s, "true/false", f"pass '{s.name}' as booleans")
    flags, refused = read_yes_no(s)
    bad = refused.arg_true()
    if bad.len():
        if numeric:
            raise _bad(s, bad, f"{plural(bad.len(), 'value')} are not 0 or 1 (true/false)",
                       f"pass '{s.name}' as true/false", "numbers other than 0/1")
        raise _bad(s, bad, f"{plural(bad.len(), 'value')} are not true/false text",
                   "use true/false (or yes/no, y/n, 1/0)", "text that is not true/false")
    return flags, [f"{s.name}: " + ("0/1 read as false/true" if numeric else "text read as true/false")]


def _convert_column(s: pl.Series, col: _Col) -> tuple[pl.Series, list[str], str | None]:
    """One column read by its kind: the series, its notes, and "aware"/"naive" for timestamps."""
    if s.dtype == pl.Object:  # Python objects (e.g. from numpy): rebuild, then read as usual
        try:
            s = pl.Series(s.name, s.to_list())
        except Exception:
            pass
    if col.kind == "text":
        return (*_to_text(s), None)
    if col.kind == "float":
        return (*_to_float(s), None)
    if col.kind == "bool":
        return (*_to_bool(s), None)
    parsed = _read_timestamps(s)
    return parsed.series, parsed.notes, parsed.kind


def _convert(
    frame: pl.DataFrame, table: str, zone: str, problems: list[_Problem], notes: list[str]
) -> tuple[pl.DataFrame, set[str]]:
    """Cast the documented columns; append problems and notes; return the frame and failed columns."""
    spec = _spec(table)
    failed = {p.column for p in problems if p.column}
    converted: dict[str, pl.Series] = {}
    aware: list[str] = []
    naive: list[str] = []
    for name, col in spec.items():
        if name not in frame.columns or name in failed:
            continue
        try:
            out, extra, kind = _convert_column(frame.get_column(name), col)
        except _ColumnProblem as cp:
            problems.append(cp.problem)
            failed.add(name)
            continue
        if kind == "aware":
            aware.append(name)
        elif kind == "naive":
            naive.append(name)
        converted[name] = out
        notes.extend(extra)
    _settle_zones(frame, table, zone, converted, aware, naive, problems, notes, failed)
    return frame.with_columns([converted[n] for n in converted if n not in failed]), failed
