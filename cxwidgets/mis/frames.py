"""Result tables: the polars frames :meth:`~cxwidgets.mis.MISModel.score` and
:meth:`~cxwidgets.mis.MISModel.contributions` return, built from the fast path's arrays.

- ``_frame_from_rollup``: one row per moment / stage / journey (x group of a ``by`` slice: the
  ``by`` columns first, named as the accounts columns, in the order given);
- ``_contrib_frame_from_rollup``: one row per signal (x group), the points of each signal;
- ``_account_frame``: one row per account (x stage / moment), or the ``top`` N lowest MIS.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from cxwidgets.journey import CATEGORIES
from cxwidgets.mis.arrays import _Rollup, _Spec
from cxwidgets.mis.gates import _status_array

if TYPE_CHECKING:
    from cxwidgets.mis.rollups import _FastRollups

# decimals to which MIS are compared when ranking accounts (top=N): closer ones tie
_TIE_DECIMALS = 9


def _pop_rows(r: _Rollup, by: tuple[str, ...]) -> list[int]:
    return [0] if not by else list(range(1, len(r.pops)))


def _group_columns(r: _Rollup, by: tuple[str, ...], repeat: int) -> dict[str, pl.Series]:
    """The ``by`` columns of a result, each group's values repeated ``repeat`` times (its units)."""
    if not by:
        return {}
    index = np.repeat(np.arange(r.labels.height), repeat)
    return {c: r.labels.get_column(c).gather(index) for c in by}


def _frame_from_rollup(spec: _Spec, r: _Rollup, level: str, by: tuple[str, ...]) -> pl.DataFrame:
    rows = _pop_rows(r, by)
    cols: dict[str, list[Any]] = {}
    if level == "moment":
        U = spec.M
        mis, cov, n, W = r.mis_m, r.cov_m, r.n_m, r.W_m
        green, amber = spec.moment_green, spec.moment_amber
        ident = {"stage": [spec.stage_names[s] for s in spec.moment_stage], "moment": spec.moment_names}
    elif level == "stage":
        U = spec.S
        mis, cov, n, W = r.mis_s, r.cov_s, r.n_s, r.W_s
        green, amber = spec.stage_green, spec.stage_amber
        ident = {"stage": spec.stage_names}
    else:
        U = 1
        mis, cov, n, W = r.mis_J[:, None], r.cov_J[:, None], r.n_J[:, None], None
        green, amber = np.array([spec.journey_green]), np.array([spec.journey_amber])
        ident = {"journey": [spec.journey_name]}
    for key, vals in ident.items():
        cols[key] = [v for _ in rows for v in vals]
    sel = np.asarray(rows, dtype=np.int64)
    mis_v = mis[sel].reshape(-1) if sel.size else np.zeros(0)
    g = np.tile(green, len(rows))
    a = np.tile(amber, len(rows))
    data: dict[str, Any] = dict(_group_columns(r, by, U))
    data.update({k: pl.Series(k, v, pl.String) for k, v in cols.items()})
    data["mis"] = pl.Series("mis", mis_v, pl.Float64)
    data["coverage"] = pl.Series("coverage", cov[sel].reshape(-1) if sel.size else np.zeros(0), pl.Float64)
    counts = np.rint(n[sel].reshape(-1)).astype(np.int64) if sel.size else []
    data["n_accounts"] = pl.Series("n_accounts", counts, pl.Int64)
    if W is not None:
        data["weight"] = pl.Series("weight", W[sel].reshape(-1) if sel.size else np.zeros(0), pl.Float64)
    data["green"] = pl.Series("green", g, pl.Float64)
    data["amber"] = pl.Series("amber", a, pl.Float64)
    data["status"] = pl.Series("status", _status_array(mis_v, g, a).tolist(), pl.String)
    floats = ["mis", "coverage", *(["weight"] if W is not None else [])]
    return pl.DataFrame(data).with_columns(pl.col(*floats).fill_nan(None))


def _contrib_frame_from_rollup(spec: _Spec, r: _Rollup, level: str, by: tuple[str, ...]) -> pl.DataFrame:
    rows = _pop_rows(r, by)
    J = spec.J
    if level == "moment":
        contrib, mis = r.contrib_j, r.mis_m[:, spec.sig_moment]
    elif level == "stage":
        contrib, mis = r.contrib_s, r.mis_s[:, spec.sig_stage]
    else:
        contrib, mis = r.contrib_J, np.repeat(r.mis_J[:, None], J, axis=1)
    sel = np.asarray(rows, dtype=np.int64)
    data: dict[str, Any] = dict(_group_columns(r, by, J))
    data["stage"] = pl.Series("stage", [spec.stage_names[s] for _ in rows for s in spec.sig_stage], pl.String)
    data["moment"] = pl.Series("moment", [spec.moment_names[m] for _ in rows for m in spec.sig_moment], pl.String)
    data["signal"] = pl.Series("signal", [s for _ in rows for s in spec.signal_names], pl.String)
    data["category"] = pl.Series("category", [CATEGORIES[c] for _ in rows for c in spec.sig_cat], pl.String)
    flat = (lambda a: a[sel].reshape(-1)) if sel.size else (lambda a: np.zeros(0))
    data["weight"] = pl.Series("weight", flat(r.weight_j), pl.Float64)
    data["score"] = pl.Series("score", flat(r.score_j), pl.Float64)
    data["contribution"] = pl.Series("contribution", flat(contrib), pl.Float64)
    data["mis"] = pl.Series("mis", flat(mis), pl.Float64)
    return pl.DataFrame(data).with_columns(pl.col("weight", "score", "contribution", "mis").fill_nan(None))


def _alerts_frame(spec: _Spec, moments: pl.DataFrame, when: datetime, by: tuple[str, ...]) -> pl.DataFrame:
    """The red and amber rows of ``moments`` (``score("moment", by)``) with their owner, SLA and
    due date (``when`` + SLA), red first, then amber, each by MIS ascending."""
    owners = pl.DataFrame(
        {
            "moment": spec.moment_names,
            "owner": spec.owners,
            "owner_sla": spec.owner_slas,
            "due": [when + s if s is not None else None for s in spec.slas],
        },
        schema={"moment": pl.String, "owner": pl.String, "owner_sla": pl.String, "due": pl.Datetime("us", "UTC")},
    )
    return (
        moments.filter(pl.col("status").is_in(["red", "amber"]))
        .join(owners, on="moment", how="left")
        .sort(
            [pl.col("status").replace_strict({"red": 0, "amber": 1}, return_dtype=pl.Int8), "mis"],
            maintain_order=True,
        )
        .select(
            *by, "stage", "moment", "owner", "owner_sla", "due", "mis", "green", "amber", "status", "coverage",
            "n_accounts",
        )
    )


# =============================================================================================
# the full recompute, in plain polars over the account x signal long table


def _account_frame(model: _FastRollups, by: str | None, top: int | None) -> pl.DataFrame:
    """The account rows of ``model.score("account", by, top)``."""
    spec = model._spec
    ids = model._account_ids
    segs = np.asarray(model._segments, dtype=object)[model._seg_codes] if model._N else np.zeros(0, dtype=object)
    mis, cov, green, amber = model._account_units(by)
    labels: list[str | None]  # per unit: its name (None: the journey)
    if by == "moment":
        labels = list(spec.moment_names)
        stage_of = [spec.stage_names[s] for s in spec.moment_stage]
    else:
        labels = list(spec.stage_names) if by == "stage" else [None]
        stage_of = None
    U, N = mis.shape
    if top is not None:
        if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 0:
            raise ValueError(f"top must be a whole number >= 0, got {top!r}")
        # MIS equal to 9 decimals tie (float noise must not reorder accounts; as status_of's 1e-9)
        flat = np.round(mis.reshape(-1), _TIE_DECIMALS)
        okf = np.flatnonzero(~np.isnan(flat))
        if okf.size > top:
            thr = np.partition(flat[okf], top - 1)[top - 1] if top else -np.inf
            okf = okf[flat[okf] <= thr]
        # order: mis ascending, then account order, then unit order
        unit, acc = np.divmod(okf, N)
        order = np.lexsort((unit, acc, flat[okf]))[:top]
        unit, acc = unit[order], acc[order]
    else:
        acc = np.tile(np.arange(N), U)
        unit = np.repeat(np.arange(U), N)
        order = np.lexsort((unit, acc))
        unit, acc = unit[order], acc[order]
    mis_v = mis[unit, acc]
    g = np.broadcast_to(green, mis.shape)[unit, acc]
    a = np.broadcast_to(amber, mis.shape)[unit, acc]
    cols: dict[str, Any] = {
        "account_id": ids.gather(acc) if acc.size else pl.Series("account_id", [], pl.String),
        "segment": pl.Series("segment", segs[acc].tolist(), pl.String),
        "arr": pl.Series("arr", model._arr[acc], pl.Float64),
    }
    if by == "moment":
        cols["stage"] = pl.Series("stage", [stage_of[u] for u in unit], pl.String)  # type: ignore[index]
        cols["moment"] = pl.Series("moment", [labels[u] for u in unit], pl.String)
    elif by == "stage":
        cols["stage"] = pl.Series("stage", [labels[u] for u in unit], pl.String)
    cols["mis"] = pl.Series("mis", mis_v, pl.Float64)
    cols["coverage"] = pl.Series("coverage", cov[unit, acc], pl.Float64)
    cols["green"] = pl.Series("green", g, pl.Float64)
    cols["amber"] = pl.Series("amber", a, pl.Float64)
    cols["status"] = pl.Series("status", _status_array(mis_v, g, a).tolist(), pl.String)
    return pl.DataFrame(cols).with_columns(pl.col("arr", "mis", "coverage").fill_nan(None))
