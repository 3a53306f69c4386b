"""Wide survey exports (one column per question) as the long ``responses`` table.

Survey tools export one row per respondent and one column per question: an airline's passenger
file has fourteen rating columns on 0-5 where 0 means "not applicable". The package's
``responses`` table is long: one row per answer, naming its moment and metric.
:func:`responses_from_wide` turns the one into the other and says what it did:

- each question column is declared: which moment and which metric it measures, on which scale;
- the codes that mean "not applicable" or "don't know" (``0``, ``99``, ``"N/A"``) become a null
  score, with the reason in the ``missing`` column: missing, counted, never an answer. An empty
  cell is missing too (``missing = "unanswered"``);
- anything else off the declared scale, or text that is not a number or a declared code, is a
  :class:`~cxwidgets.errors.CXDataError` naming the column, a few respondents and the fix;
- the respondent's id, a time and any attribute columns (class, travel type) are carried along.

The scale check is :mod:`cxwidgets.scales`, the rule every summary uses.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from cxwidgets._util.text import choices, did_you_mean, plural, short
from cxwidgets.errors import CXDataError
from cxwidgets.frames import metric_name, to_polars
from cxwidgets.scales import DEFAULT_SCALES, WHOLE_POINT_METRICS, Scale, check_scale, scale_problem

__all__ = ["NOT_APPLICABLE", "UNANSWERED", "Question", "responses_from_wide"]

#: The ``missing`` value of an answer given as a declared code (unless the codes name their own reason).
NOT_APPLICABLE = "not applicable"
#: The ``missing`` value of an empty cell (null, NaN or empty text).
UNANSWERED = "unanswered"

Code = int | float | str


@dataclass(frozen=True)
class Question:
    """One question column of a wide export: the moment and metric it measures.

    ``scale`` defaults to the call's ``scale=``, then to the metric's declared scale
    (:data:`cxwidgets.DEFAULT_SCALES`); ``not_applicable`` adds codes for this question only.

    >>> Question("Inflight", "csat", scale=(1, 5), not_applicable=(0,))
    Question(moment='Inflight', metric='csat', scale=(1, 5), not_applicable=(0,))
    """

    moment: str
    metric: str
    scale: tuple[float, float] | None = None
    not_applicable: Sequence[Code] | Mapping[Code, str] = ()


def responses_from_wide(
    data: Any,
    questions: Mapping[str, Question | tuple[str, str] | Mapping[str, Any]],
    *,
    account_id: str,
    scale: tuple[float, float] | None = None,
    not_applicable: Sequence[Code] | Mapping[Code, str] = (),
    respondent_id: str | None = None,
    responded_at: str | None = None,
    keep: Sequence[str] = (),
    continuous: bool = False,
    table: str = "survey",
) -> pl.DataFrame:
    """The long ``responses`` table from a wide export: one row per respondent x question.

    ``questions`` maps each question column to its moment and metric: a pair
    ``("Inflight", "csat")``, a dict with ``moment``, ``metric`` and optionally ``scale`` and
    ``not_applicable``, or a :class:`Question`. ``not_applicable`` lists the codes that mean
    "not applicable" or "don't know" (numbers or text; text is matched ignoring case and
    surrounding spaces), or maps each code to its reason (``{0: "not applicable",
    99: "don't know"}``). A code becomes a null ``score`` with the reason in ``missing``; an
    empty cell becomes a null score with ``missing = "unanswered"``; an answered cell has a null
    ``missing``. The summaries skip null scores and count them (``n_missing``).

    Returns the columns ``account_id`` (text), ``moment``, ``metric``, ``score`` (Float64),
    ``missing``, then ``respondent_id`` and ``responded_at`` when named, then the ``keep``
    columns, in the order of the questions. Raises :class:`CXDataError` for a column that is
    not in the export (with "did you mean"), an answer off the declared scale that is not a
    declared code, text that is neither a number nor a code, or a code inside the scale (it
    would hide real answers). ``continuous=True`` allows answers between whole points.

    Example: two rating columns on 1-5 where 0 means "not applicable".

    >>> import polars as pl
    >>> wide = pl.DataFrame({"id": [7, 8, 9], "Class": ["Eco", "Business", "Eco"],
    ...                      "Seat comfort": [5, 0, 3], "Wifi": [0, 4, None]})
    >>> long = responses_from_wide(
    ...     wide, {"Seat comfort": ("Inflight", "csat"), "Wifi": ("Inflight wifi", "csat")},
    ...     account_id="id", scale=(1, 5), not_applicable=[0], keep=["Class"])
    >>> long
    shape: (6, 6)
    ┌────────────┬───────────────┬────────┬───────┬────────────────┬──────────┐
    │ account_id ┆ moment        ┆ metric ┆ score ┆ missing        ┆ Class    │
    │ ---        ┆ ---           ┆ ---    ┆ ---   ┆ ---            ┆ ---      │
    │ str        ┆ str           ┆ str    ┆ f64   ┆ str            ┆ str      │
    ╞════════════╪═══════════════╪════════╪═══════╪════════════════╪══════════╡
    │ 7          ┆ Inflight      ┆ csat   ┆ 5.0   ┆ null           ┆ Eco      │
    │ 8          ┆ Inflight      ┆ csat   ┆ null  ┆ not applicable ┆ Business │
    │ 9          ┆ Inflight      ┆ csat   ┆ 3.0   ┆ null           ┆ Eco      │
    │ 7          ┆ Inflight wifi ┆ csat   ┆ null  ┆ not applicable ┆ Eco      │
    │ 8          ┆ Inflight wifi ┆ csat   ┆ 4.0   ┆ null           ┆ Business │
    │ 9          ┆ Inflight wifi ┆ csat   ┆ null  ┆ unanswered     ┆ Eco      │
    └────────────┴───────────────┴────────┴───────┴────────────────┴──────────┘
    >>> long.group_by("moment", maintain_order=True).agg(
    ...     pl.col("score").mean(), n_missing=pl.col("score").null_count()).rows()
    [('Inflight', 4.0, 1), ('Inflight wifi', 4.0, 2)]
    """
    # lenient: a pandas column mixing numbers and code text ([5, "N/A", 3]) is read as text,
    # where the declared codes are matched and every other value must be a number
    frame = to_polars(data, table=table, lenient=True)
    if not isinstance(questions, Mapping) or not questions:
        raise CXDataError(
            "questions must map each question column to its (moment, metric)",
            table=table,
            fix='questions={"Seat comfort": ("Inflight", "csat"), ...}',
        )
    carried = _carried_columns(frame, account_id, respondent_id, responded_at, keep, table)
    declared = {str(col): _question(col, q, scale, not_applicable, table) for col, q in questions.items()}
    _require_columns(frame, [*declared, *carried], table)
    clash = sorted(set(declared) & set(carried))
    if clash:
        raise CXDataError(
            f"{choices(clash)} named both as a question and as a carried column",
            table=table,
            fix="name each column once: as a question, or in account_id/respondent_id/responded_at/keep",
        )
    ids = frame.get_column(account_id)
    carry = [ids.cast(pl.String).alias("account_id")]
    if respondent_id is not None:
        carry.append(frame.get_column(respondent_id).cast(pl.String).alias("respondent_id"))
    if responded_at is not None:
        carry.append(frame.get_column(responded_at).alias("responded_at"))
    carry += [frame.get_column(c) for c in keep]
    parts = []
    for column, q in declared.items():
        score, missing = _answers(frame, column, q, continuous=continuous, id_column=account_id, table=table)
        parts.append(
            pl.DataFrame([carry[0]]).with_columns(
                moment=pl.lit(q.moment, pl.String),
                metric=pl.lit(q.metric, pl.String),
                score=score,
                missing=missing,
            ).with_columns(carry[1:])
        )
    return pl.concat(parts, how="vertical")


@dataclass(frozen=True)
class _Declared:
    moment: str
    metric: str
    scale: Scale
    codes: dict[Code, str]


def _question(
    column: Any,
    q: Question | tuple[str, str] | Mapping[str, Any],
    scale: tuple[float, float] | None,
    not_applicable: Sequence[Code] | Mapping[Code, str],
    table: str,
) -> _Declared:
    """One question's declaration, checked: moment and metric named, a scale, its codes."""
    where = f"question '{column}'"
    if isinstance(q, Question):
        moment, metric, own_scale, own_codes = q.moment, q.metric, q.scale, q.not_applicable
    elif isinstance(q, Mapping):
        unknown = sorted(set(q) - {"moment", "metric", "scale", "not_applicable"})
        if unknown or "moment" not in q or "metric" not in q:
            raise CXDataError(
                f"{where}: a declaration needs 'moment' and 'metric' (and may give 'scale' and "
                f"'not_applicable'), got keys {choices(sorted(map(str, q)))}",
                table=table,
                fix=f'"{column}": {{"moment": "Inflight", "metric": "csat", "scale": (1, 5)}}',
            )
        moment, metric, own_scale, own_codes = q["moment"], q["metric"], q.get("scale"), q.get("not_applicable", ())
    elif isinstance(q, tuple | list) and len(q) == 2:
        (moment, metric), own_scale, own_codes = q, None, ()
    else:
        raise CXDataError(
            f"{where}: expected (moment, metric), a dict or a cx.Question, got {short(q)}",
            table=table,
            fix=f'"{column}": ("Inflight", "csat")',
        )
    if not isinstance(moment, str) or not moment.strip():
        raise CXDataError(f"{where}: the moment must be a non-empty name, got {short(moment)}", table=table)
    if not isinstance(metric, str) or not metric.strip():
        raise CXDataError(f"{where}: the metric must be a name such as 'csat', got {short(metric)}", table=table)
    metric = metric_name(metric)
    chosen = own_scale if own_scale is not None else scale if scale is not None else DEFAULT_SCALES.get(metric)
    if chosen is None:
        raise CXDataError(
            f"{where}: metric '{metric}' has no default scale",
            table=table,
            fix=f"declare the scale the survey used: scale=(1, 5), or for this question only "
            f'"{column}": {{"moment": ..., "metric": "{metric}", "scale": (1, 5)}}',
        )
    try:
        checked = check_scale(chosen, where)
    except ValueError as exc:
        raise CXDataError(str(exc), table=table, fix="scale=(low, high) with low < high") from exc
    codes = {**_codes(not_applicable, where, table), **_codes(own_codes, where, table)}
    _codes_outside_scale(codes, checked, where, table)
    return _Declared(moment.strip(), metric, checked, codes)


def _codes(codes: Sequence[Code] | Mapping[Code, str], where: str, table: str) -> dict[Code, str]:
    """Codes as {code: reason}: a list gets the reason "not applicable"; text codes are folded."""
    pairs = codes.items() if isinstance(codes, Mapping) else ((c, NOT_APPLICABLE) for c in _as_sequence(codes))
    out: dict[Code, str] = {}
    for code, reason in pairs:
        if isinstance(code, bool) or not isinstance(code, int | float | str):
            raise CXDataError(
                f"{where}: a not-applicable code must be a number or text, got {short(code)}", table=table
            )
        if isinstance(code, float) and not math.isfinite(code):
            raise CXDataError(f"{where}: a not-applicable code must be finite, got {code!r}", table=table)
        if not isinstance(reason, str) or not reason.strip():
            raise CXDataError(f"{where}: the reason for code {code!r} must be text, got {short(reason)}", table=table)
        out[_fold(code)] = reason.strip()
        number = _as_number(code) if isinstance(code, str) else None
        if number is not None:  # "99" also means the number 99
            out.setdefault(number, reason.strip())
    return out


def _as_number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _as_sequence(codes: Any) -> Sequence[Code]:
    return [codes] if isinstance(codes, int | float | str) else list(codes)


def _fold(code: Code) -> Code:
    """A code as compared: text stripped and lower-cased, numbers as floats."""
    return code.strip().lower() if isinstance(code, str) else float(code)


def _codes_outside_scale(codes: dict[Code, str], scale: Scale, where: str, table: str) -> None:
    """A numeric code inside the scale would turn real answers into missing ones: refuse it."""
    inside = [c for c in codes if isinstance(c, float) and scale[0] <= c <= scale[1]]
    if inside:
        raise CXDataError(
            f"{where}: not-applicable code {choices([f'{c:g}' for c in inside])} lies inside the scale "
            f"{scale[0]:g}-{scale[1]:g}, so it would hide real answers",
            table=table,
            fix="declare the scale the answers use (e.g. scale=(1, 5) when 0 means not applicable)",
        )


def _carried_columns(
    frame: pl.DataFrame,
    account_id: str,
    respondent_id: str | None,
    responded_at: str | None,
    keep: Sequence[str],
    table: str,
) -> list[str]:
    if isinstance(keep, str):
        keep = [keep]
    carried = [account_id, *(c for c in (respondent_id, responded_at) if c is not None), *keep]
    taken = {"account_id", "moment", "metric", "score", "missing", "respondent_id", "responded_at"}
    for name in keep:
        if name in taken:
            raise CXDataError(
                f"keep column '{name}' would overwrite the responses column of that name",
                table=table,
                column=name,
                fix=f"rename it first (frame.rename({{'{name}': 'survey_{name}'}}))",
            )
    return carried


def _require_columns(frame: pl.DataFrame, columns: Sequence[str], table: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        hint = did_you_mean(missing[0], frame.columns)
        raise CXDataError(
            f"the export has no column {choices(missing)}{hint}",
            table=table,
            column=missing[0],
            fix=f"name columns the export has: {choices(frame.columns)}",
        )


def _answers(
    frame: pl.DataFrame, column: str, q: _Declared, *, continuous: bool, id_column: str, table: str
) -> tuple[pl.Series, pl.Series]:
    """One question column as (score, missing reason), codes and empty cells read as missing."""
    raw = frame.get_column(column)
    if raw.dtype == pl.String or raw.dtype == pl.Categorical or raw.dtype == pl.Enum:
        text = raw.cast(pl.String).str.strip_chars()
        folded = text.str.to_lowercase()
        reason = folded.replace_strict(
            {k: v for k, v in q.codes.items() if isinstance(k, str)}, default=None, return_dtype=pl.String
        )
        number = text.cast(pl.Float64, strict=False)
        reason = reason.fill_null(_numeric_reason(number, q))  # "0" in a text column is the code 0
        unreadable = text.is_not_null() & (text != "") & reason.is_null() & number.is_null()
        if unreadable.any():
            bad = frame.filter(unreadable).select(id_column, column).head(5).rows()
            values = text.filter(unreadable).unique(maintain_order=True).to_list()
            raise CXDataError(
                f"{plural(int(unreadable.sum()), 'answer')} {'is' if unreadable.sum() == 1 else 'are'} "
                f"neither a number nor a declared code: {choices(values)}",
                table=table,
                column=column,
                rows=[f"{id_column} {i}: {v!r}" for i, v in bad],
                n_rows=int(unreadable.sum()),
                fix=f"declare them: not_applicable={{{', '.join(repr(v) for v in values[:3])}: \"don't know\"}}, "
                "or map them to numbers first",
            )
        empty = text.is_null() | (text == "")
    elif raw.dtype.is_numeric() or raw.dtype == pl.Null:
        number = raw.cast(pl.Float64)
        empty = number.is_null() | number.is_nan()
        reason = _numeric_reason(number, q)
    else:
        raise CXDataError(
            f"a question column must hold numbers or text, got {raw.dtype}",
            table=table,
            column=column,
            fix="cast it to numbers first",
        )
    coded = reason.is_not_null()
    score = pl.select(pl.when(~coded & ~empty).then(number).otherwise(None).alias("score")).to_series()
    missing = pl.select(
        pl.when(coded).then(reason).when(empty).then(pl.lit(UNANSWERED)).otherwise(None).alias("missing")
    ).to_series()
    _check_scale(frame, score, column, q, continuous=continuous, id_column=id_column, table=table)
    return score, missing


def _numeric_reason(number: pl.Series, q: _Declared) -> pl.Series:
    numeric = {k: v for k, v in q.codes.items() if isinstance(k, float)}
    return number.replace_strict(numeric, default=None, return_dtype=pl.String)


def _check_scale(
    frame: pl.DataFrame,
    score: pl.Series,
    column: str,
    q: _Declared,
    *,
    continuous: bool,
    id_column: str,
    table: str,
) -> None:
    """Answers off the declared scale that are not declared codes: the scale rule's error."""
    integer = q.metric in WHOLE_POINT_METRICS and (q.metric == "nps" or not continuous)
    checked = pl.DataFrame([frame.get_column(id_column).cast(pl.String), score.alias(column)])
    problem = scale_problem(checked, column, q.scale, integer=integer, label=q.metric.upper(), row_label=id_column)
    if problem is None:
        return
    codes = [c for c in q.codes if isinstance(c, float)]
    said = f" (declared codes: {choices([f'{c:g}' for c in codes])})" if codes else ""
    raise CXDataError(
        f"{problem.message}{said}",
        table=table,
        column=column,
        rows=problem.rows,
        n_rows=problem.n,
        fix="add the codes that mean 'not applicable' or 'don't know' to not_applicable= (e.g. [0, 99]), "
        "declare the scale the survey used (scale=(low, high)), or correct the rows"
        + ("; or continuous=True if answers need not be whole points" if integer and q.metric != "nps" else ""),
    )
