"""The tunable part of the Moment Impact Score kept in the journey file: :class:`MISSettings`
(category weights, role and segment multipliers, per-segment weight overrides, missing-data policy,
which accounts column is the segment).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SerializerFunctionWrapHandler, field_validator, model_serializer

from cxwidgets._util.text import choices as _choices
from cxwidgets._util.text import did_you_mean as _did_you_mean
from cxwidgets._util.text import short
from cxwidgets.journey.models import _Model
from cxwidgets.journey.rules import CATEGORIES, Number, _clean_keys, check_weight


class MISSettings(_Model):
    """The tunable part of the Moment Impact Score, kept in the journey file.

    Attributes:
        category_weights: weight per signal category (experience, operational, behavioral,
            outcome); missing categories are 1.0. A signal's weight in its moment is
            category weight x signal weight.
        role_multipliers: weight of a survey observation by respondent role (roles not listed: 1.0).
        segment_multipliers: relative weight of an account in roll-ups by segment (not listed: 1.0).
        segment_weights: per segment, signal weights that replace the signal's own weight for
            accounts of that segment, keyed by ``"Moment name/Signal name"`` (:func:`signal_key`).
        missing: what a missing signal does: ``renormalise`` over the signals present (default),
            count it at its ``floor`` (score 0), or ``impute`` the moment's mean.
        arr_weighting: multiply account weights in roll-ups by ARR.
        segment_column: the accounts column that is "the segment" of ``segment_multipliers``,
            ``segment_weights``, ``level="segment"`` and the account rows (default
            ``"segment"``; e.g. ``"region"`` or ``"plan"``). Its values are read as text
            (null or empty: ``"(no segment)"``). Written to the file only when it is not the
            default, so files without it read as before and every file round-trips.

    Example:
        >>> from cxwidgets.journey import MISSettings
        >>> MISSettings(role_multipliers={"executive": 1.5}).category_weights["outcome"]
        1.0
        >>> MISSettings(segment_column="region").model_dump()["segment_column"]
        'region'
        >>> "segment_column" in MISSettings().model_dump()
        False
    """

    category_weights: dict[str, Number] = Field(default_factory=lambda: dict.fromkeys(CATEGORIES, 1.0))
    role_multipliers: dict[str, Number] = {}
    segment_multipliers: dict[str, Number] = {}
    segment_weights: dict[str, dict[str, Number]] = {}
    missing: Literal["renormalise", "floor", "impute"] = "renormalise"
    arr_weighting: bool = False
    segment_column: str = "segment"

    @field_validator("segment_column", mode="before")
    @classmethod
    def _segment_column(cls, value: object) -> object:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(
                f"segment_column must be the name of an accounts column (text), got {short(value)}; "
                "e.g. 'segment', 'region' or 'plan'"
            )
        if value.strip() == "account_id":
            raise ValueError("segment_column cannot be 'account_id' (one segment per account); name a grouping column")
        return value.strip()

    @model_serializer(mode="wrap")
    def _drop_default_segment_column(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("segment_column") == "segment":
            del data["segment_column"]
        return data

    @field_validator("missing", mode="before")
    @classmethod
    def _missing(cls, value: object) -> object:
        if isinstance(value, str):
            v = value.strip().lower()
            return "renormalise" if v == "renormalize" else v
        return value

    @field_validator("category_weights")
    @classmethod
    def _categories(cls, value: dict[str, float]) -> dict[str, float]:
        value = _clean_keys(value, "category")
        for key in value:
            if key not in CATEGORIES:
                raise ValueError(
                    f"category_weights: unknown category {short(key)}{_did_you_mean(key, CATEGORIES)}; "
                    f"use {_choices(CATEGORIES)}"
                )
        out = {
            c: check_weight(value.get(c, 1.0), f"category_weights[{c!r}]", "use 0 to leave a category out")
            for c in CATEGORIES
        }
        if all(v == 0 for v in out.values()):
            raise ValueError(
                "category_weights: all four category weights are 0, so nothing can be scored; "
                "give at least one category a weight above 0"
            )
        return out

    @field_validator("role_multipliers", "segment_multipliers")
    @classmethod
    def _multipliers(cls, value: dict[str, float], info: Any) -> dict[str, float]:
        what = "role" if info.field_name == "role_multipliers" else "segment"
        value = _clean_keys(value, f"{info.field_name}: {what}")
        for key, v in value.items():
            check_weight(v, f"{info.field_name}[{short(key)}]", "1.0 means no change, 0 leaves it out")
        return value

    @field_validator("segment_weights")
    @classmethod
    def _segment_weights(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        value = _clean_keys(value, "segment_weights: segment")
        out: dict[str, dict[str, float]] = {}
        for seg, weights in value.items():
            weights = _clean_keys(weights, f"segment_weights[{short(seg)}]: signal key")
            for key, v in weights.items():
                check_weight(
                    v, f"segment_weights[{short(seg)}][{short(key)}]", "use 0 to switch the signal off for this segment"
                )
            out[seg] = weights
        return out
