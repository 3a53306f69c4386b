"""Time zones of the input timestamps: one zone per table, naive read in it, never mixed.

The table's zone is ``naive_tz`` (default UTC). When every timestamp column of a table is naive
it is read in that zone and a note says so; aware input keeps its instants. Every timestamp
column comes back as ``Datetime("us", zone)``: the zone travels with the validated table, so
calendar periods later follow it. Naive and aware mixed, within a column or across the columns
of one table, is a problem (:mod:`cxwidgets.timestamps` parses and converts).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from cxwidgets.schemas.models import _datetime_columns
from cxwidgets.schemas.problems import _MAX_ROWS_SHOWN, _ColumnProblem, _Problem, _rows, _series_rows
from cxwidgets.timestamps import Parsed, TimestampError, localize_naive, parse_timestamps, to_zone


def _mixed_problem(column: str, values: Sequence[Any], naive: list[int], aware: list[int]) -> _Problem:
    minority, which = (naive, "naive") if len(naive) <= len(aware) else (aware, "aware")
    return _Problem(
        column=column,
        message=f"naive and aware timestamps are mixed in one column: {len(naive):,} without a "
        f"time zone, {len(aware):,} with one (showing the {which} ones)",
        fix="give every timestamp a time zone (e.g. pandas .dt.tz_localize('UTC') on the naive "
        "ones) or none; cxwidgets will not guess the zone of the naive ones",
        short="naive and aware timestamps mixed",
        rows=_rows(values, minority),
    )


def _timestamp_problem(s: pl.Series, err: TimestampError) -> _Problem:
    return _Problem(s.name, err.message, err.fix, err.short, _series_rows(s, err.rows), n=err.count)


def _read_timestamps(s: pl.Series) -> Parsed:
    """A timestamp column parsed (:func:`cxwidgets.timestamps.parse_timestamps`); a failure is a problem."""
    try:
        return parse_timestamps(s)
    except TimestampError as err:
        raise _ColumnProblem(_timestamp_problem(s, err)) from None


def _settle_zones(
    frame: pl.DataFrame,
    table: str,
    zone: str,
    converted: dict[str, pl.Series],
    aware: list[str],
    naive: list[str],
    problems: list[_Problem],
    notes: list[str],
    failed: set[str],
) -> None:
    """Naive columns read in ``zone`` (unless mixed with aware ones: a problem), every timestamp
    given in ``zone`` (``Datetime("us", zone)``, the same instants).

    Updates ``converted``, ``problems``, ``notes`` and ``failed`` in place.
    """
    if aware and naive:
        problems.append(_Problem(
            naive[0],
            f"timestamps without a time zone ({', '.join(naive)}) mixed with time-zone-aware ones "
            f"({', '.join(aware)}) in one table",
            "give every timestamp column a time zone (e.g. .dt.replace_time_zone('UTC') / "
            ".dt.tz_localize('UTC')) or none (then naive_tz= says which zone they are in)",
            "naive timestamps mixed with aware columns",
            _series_rows(converted[naive[0]], converted[naive[0]].is_not_null().arg_true().head(_MAX_ROWS_SHOWN)),
        ))
        failed.update(naive)
    elif naive:
        for name in naive:
            try:
                converted[name] = localize_naive(converted[name], zone)
            except TimestampError as err:
                problems.append(_timestamp_problem(frame.get_column(name), err))
                failed.add(name)
        notes.append(f"naive timestamps in {', '.join(naive)} read as {zone}")
    target = pl.Datetime("us", zone)
    shown: list[str] = []
    for name in sorted(_datetime_columns(table) & set(converted)):
        if name in failed or converted[name].dtype == target:
            continue
        if converted[name].null_count() == converted[name].len():  # all null: nothing to convert
            converted[name] = pl.Series(name, [None] * converted[name].len(), dtype=target)
        else:
            converted[name] = to_zone(converted[name], zone)
            shown.append(name)
    if zone != "UTC" and shown:
        notes.append(
            f"timestamps in {', '.join(shown)} given in {zone} (naive_tz): the same instants; "
            f"calendar periods (day, week, month) follow {zone}"
        )
