"""The slicing steps of a :class:`~cxwidgets.mis.MISModel`: which accounts columns ``by=`` may
name, each account's group, and the ``"segment"`` level's own column name.

``_Slices`` holds the private steps behind :meth:`~cxwidgets.mis.MISModel.score`'s ``by=``,
:attr:`~cxwidgets.mis.MISModel.dimensions`, :meth:`~cxwidgets.mis.MISModel.account_groups` and
the level ``"segment"``;
the public methods are :class:`~cxwidgets.mis.MISModel`'s own.
"""

from __future__ import annotations

import polars as pl

from cxwidgets.mis.checks import RESULT_COLUMNS, _check_dimensions, _dimension_names
from cxwidgets.mis.frames import _contrib_frame_from_rollup, _frame_from_rollup
from cxwidgets.mis.settings import _TunedSettings


class _Slices(_TunedSettings):
    """The slicing steps of :class:`~cxwidgets.mis.MISModel` (see the module docstring)."""

    def _dimension_list(self) -> list[str]:
        """The dimensions of the current segment column, computed once per segment column."""
        cached = self.__dict__.get("_dimension_cache")
        if cached is None or cached[0] != self._segment_column:
            cached = (self._segment_column, _dimension_names(self._dims, self._segment_column))
            self.__dict__["_dimension_cache"] = cached
        return list(cached[1])

    def _slice(self, by: tuple[str, ...], reserved: frozenset[str] = RESULT_COLUMNS) -> tuple[str, ...]:
        """``by`` checked against the accounts columns and the result's own column names."""
        _check_dimensions(by, self._dims, self._dimension_list(), reserved)
        return by

    def _account_group_frame(self, by: tuple[str, ...]) -> pl.DataFrame:
        """``account_id`` then the (checked) ``by`` columns, one row per account."""
        cols = self._slice(by)
        return self._dims.select(cols).insert_column(0, pl.Series("account_id", self._account_ids))

    def _segment_frame(self, contributions: bool = False) -> pl.DataFrame:
        """Level ``"segment"`` of ``score`` (or ``contributions``): the journey per segment, the
        segment column named ``segment``."""
        seg = (self._segment_column,)
        if contributions:
            df = _contrib_frame_from_rollup(self._spec, self._rollup(seg), "journey", seg)
        else:
            df = _frame_from_rollup(self._spec, self._rollup(seg), "journey", seg).drop("journey")
        return df.rename({self._segment_column: "segment"}) if self._segment_column != "segment" else df
