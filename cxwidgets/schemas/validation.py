"""The entry points: :func:`validate` and :func:`validate_report`, and the report it returns.

One pass, in order: the arguments, the input as one polars frame, the column conversions,
pandera's structural checks, the checks that depend on arguments; then every problem found is
raised as one :class:`~cxwidgets.errors.CXDataError`, or the frame is returned with its notes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from cxwidgets.schemas.arguments import HasMomentNames, _arguments
from cxwidgets.schemas.checks import _argument_checks
from cxwidgets.schemas.columns import _convert
from cxwidgets.schemas.failure_cases import _pandera_check
from cxwidgets.schemas.inputs import _read_input
from cxwidgets.schemas.models import _check_table, _spec
from cxwidgets.schemas.problems import _raise

__all__ = ["ValidationReport", "validate", "validate_report"]


@dataclass(frozen=True)
class ValidationReport:
    """What :func:`validate_report` did: the validated frame and what it noticed on the way.

    ``null_counts`` has every column of ``frame`` (nulls kept in optional columns are counted
    here, never dropped); ``notes`` lists conversions, e.g. "naive timestamps in created_at
    read as UTC".
    """

    frame: pl.DataFrame
    table: str
    n_rows: int
    null_counts: dict[str, int]
    notes: list[str] = field(default_factory=list)


def validate_report(
    df: Any,
    table: str,
    *,
    scales: Mapping[str, tuple[float, float] | None] | None = None,
    journey: HasMomentNames | Iterable[str] | None = None,
    moments: Iterable[str] | None = None,
    naive_tz: str = "UTC",
    continuous: Iterable[str] = (),
    other_moments: str = "error",
) -> ValidationReport:
    """Validate like :func:`validate`, and also report null counts and the conversions made.

    >>> rep = validate_report({"account_id": ["a", "b"], "segment": ["smb", None]}, table="accounts")
    >>> rep.n_rows, rep.null_counts
    (2, {'account_id': 0, 'segment': 1})
    """
    table = _check_table(table)
    args = _arguments(table, scales, continuous, journey, moments, naive_tz, other_moments)
    frame, problems = _read_input(df, table)
    notes: list[str] = []
    frame, failed = _convert(frame, table, args.zone, problems, notes)
    problems.extend(_pandera_check(frame, table, failed))
    ok = {c for c in _spec(table) if c in frame.columns} - failed
    frame = _argument_checks(frame, table, ok, args, problems, notes)
    if problems:
        _raise(problems, table)
    null_counts = _null_counts(frame, table, notes)
    return ValidationReport(frame=frame, table=table, n_rows=frame.height, null_counts=null_counts, notes=notes)


def _null_counts(frame: pl.DataFrame, table: str, notes: list[str]) -> dict[str, int]:
    """Nulls of every column; a note for each optional column that has some (kept, never dropped)."""
    nulls = frame.null_count().row(0, named=True)
    null_counts = {k: int(v) for k, v in nulls.items()}
    for name, col in _spec(table).items():
        if not col.required and null_counts.get(name, 0):
            notes.append(
                f"{name}: {null_counts[name]:,} of {frame.height:,} values are null (kept; optional column)"
            )
    if table == "responses" and null_counts.get("score", 0):
        notes.append(_unanswered_note(frame, null_counts["score"]))
    return null_counts


def _unanswered_note(frame: pl.DataFrame, n_null: int) -> str:
    """The one policy for a null score: an unanswered question, kept, skipped and counted.

    With a ``missing`` column (what :func:`cxwidgets.responses_from_wide` writes) the note
    gives the reasons ("8 not applicable, 4 unanswered").
    """
    note = (
        f"score: {n_null:,} of {frame.height:,} answers are null (unanswered: kept, and skipped and "
        "counted as missing, n_missing, by the summaries and bind)"
    )
    if "missing" in frame.columns and frame.schema["missing"] == pl.String:
        reasons = (
            frame.filter(pl.col("score").is_null())
            .group_by(pl.col("missing").fill_null("unanswered"))
            .len()
            .sort(["len", "missing"], descending=[True, False])
        )
        note += ": " + ", ".join(f"{n:,} {reason}" for reason, n in reasons.iter_rows())
    return note


def validate(
    df: Any,
    table: str,
    *,
    scales: Mapping[str, tuple[float, float] | None] | None = None,
    journey: HasMomentNames | Iterable[str] | None = None,
    moments: Iterable[str] | None = None,
    naive_tz: str = "UTC",
    continuous: Iterable[str] = (),
    other_moments: str = "error",
) -> pl.DataFrame:
    """Check an input table and return it as polars with the documented dtypes.

    Args:
        df: a polars DataFrame or LazyFrame, a pandas DataFrame, a pyarrow Table, a DuckDB relation
            or any frame narwhals knows, a dict of columns, or the path of a CSV or parquet file
            (a CSV is read as text: ids keep their leading zeros; see :func:`cxwidgets.frames.scan_file`).
        table: one of :data:`TABLES` ("responses", "tickets", "events", "accounts", "signals").
        scales: ``{metric: (low, high)}`` overriding or extending :data:`DEFAULT_SCALES`
            (nps 0-10, csat 1-5, psat 1-5, ces 1-7); ``{metric: None}`` skips that metric's range
            check. Metrics without a declared scale are not range-checked. In ``tickets`` the
            ``csat`` scale applies to ``csat``. Answers of nps, csat, psat and ces are whole
            points (:mod:`cxwidgets.scales`): a 6.5 is refused unless the metric is in ``continuous``.
        continuous: metric names whose answers need not be whole points (e.g. ``["csat"]`` for
            averaged ratings); their range is still checked. NPS is always whole points 0-10.
        journey: anything with a ``.moment_names()`` method, or an iterable of moment names;
            with it (or ``moments=``), a ``moment`` not in the journey is an error.
        moments: moment names, alone or added to the journey's.
        other_moments: with a journey or ``moments=``: ``"error"`` (default) refuses rows of a
            moment not named; ``"keep"`` keeps them (what :func:`cxwidgets.bind` does before it
            leaves them out and counts them), refusing only a likely typo of a named moment
            (same name but for case or spaces, or alike by 85%), with "did you mean".
        naive_tz: the table's zone (default UTC): naive timestamps are read in it, when all of
            a table's timestamps are naive (reported in :func:`validate_report` notes), and every
            timestamp is returned in it (``Datetime("us", naive_tz)``, the same instants), so
            periods counted later (``cx.period``, ``trend(every="month")``) follow its calendar.

    Returns:
        A polars DataFrame: documented columns cast (ids and labels String, numbers Float64,
        flags Boolean, timestamps ``Datetime("us", naive_tz)``: UTC by default), other columns
        unchanged, no row dropped.
        In ``responses`` the ``metric`` names are stored once, normalised: surrounding spaces
        dropped, lower case (``" NPS "`` -> ``"nps"``; a note in :func:`validate_report` says so).

    Raises:
        CXDataError: (a ValueError) naming the table, the column, up to five offending rows
            ("row <0-based position>: <value>") and the fix; when there are several problems the
            first is raised and the others are counted and summarised in the message.

    Example:
        >>> import cxwidgets as cx
        >>> import pandas as pd
        >>> raw = pd.DataFrame({"account_id": ["00123", "00124"], "moment": ["Advocacy Ask"] * 2,
        ...                     "metric": ["nps", "nps"], "score": [10, 11]})
        >>> try:
        ...     validate(raw, table="responses")
        ... except cx.CXDataError as err:
        ...     print(err)  # doctest: +NORMALIZE_WHITESPACE
        table 'responses' column 'score': 1 nps answer is outside the declared nps scale 0-10
          offending rows: row 1: 11.0
          fix: correct those rows or map 'not applicable' codes (such as 0 or 99) to null; if this
          metric uses another scale, declare it: validate(..., scales={'nps': (low, high)}); NPS
          answers are whole points 0-10
        >>> validate(raw.assign(score=[10, 9]), table="responses")["account_id"].to_list()
        ['00123', '00124']
    """
    return validate_report(
        df,
        table,
        scales=scales,
        journey=journey,
        moments=moments,
        naive_tz=naive_tz,
        continuous=continuous,
        other_moments=other_moments,
    ).frame
