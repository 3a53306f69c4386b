"""The reference recompute itself: ``_Reference``, every definition of the engine written
directly, slowly and obviously, in polars (the entry points are :mod:`cxwidgets.mis.reference`;
the contributions are :mod:`cxwidgets.mis.recompute_contributions`).

It shares no code with the fast path beyond the journey's structure (``_Spec``), the input
checks, the status rule and the normaliser registry.
"""

from __future__ import annotations

import polars as pl

from cxwidgets.journey import CATEGORIES, Journey
from cxwidgets.mis.arrays import _normaliser_of, _Spec
from cxwidgets.mis.checks import (
    _account_attributes,
    _accounts_and_observations,
    _check_by,
    _check_dimensions,
    _check_level,
    _segment_dimensions,
)
from cxwidgets.mis.frames import _TIE_DECIMALS
from cxwidgets.mis.gates import _status_expr
from cxwidgets.mis.recompute_contributions import _reference_contributions
from cxwidgets.normalise import normalise
from cxwidgets.signals import SignalTable


def _signal_meta(spec: _Spec, catw: dict[str, float]) -> pl.DataFrame:
    """One row per signal: stage, moment, signal, key, category, floor, target, normaliser, its
    weight ``sw`` and its category's weight ``cw``."""
    return pl.DataFrame(
        {
            "stage": [spec.stage_names[s] for s in spec.sig_stage],
            "moment": [spec.moment_names[m] for m in spec.sig_moment],
            "signal": spec.signal_names,
            "key": spec.keys,
            "category": [CATEGORIES[c] for c in spec.sig_cat],
            "floor": [s.floor for s in spec.signals],
            "target": [s.target for s in spec.signals],
            "normaliser": [_normaliser_of(s) for s in spec.signals],
            "sw": [float(s.weight) for s in spec.signals],
            "cw": [catw[CATEGORIES[c]] for c in spec.sig_cat],
        },
        schema={"stage": pl.String, "moment": pl.String, "signal": pl.String, "key": pl.String,
                "category": pl.String, "floor": pl.Float64, "target": pl.Float64, "normaliser": pl.String,
                "sw": pl.Float64, "cw": pl.Float64},
    )


class _Reference:
    """Every definition of the module docstring, written directly in polars (no shared code
    with the fast path beyond the journey's structure and the normaliser registry)."""

    def __init__(self, journey: Journey, table: SignalTable) -> None:
        self.journey = journey
        self.spec = spec = _Spec.of(journey)
        st = journey.mis
        acc, _, _ = _accounts_and_observations(table)
        self.segment_column = st.segment_column
        # the accounts columns by= may name (dims) and the segment labels of the segment column
        self.dims, segment = _segment_dimensions(_account_attributes(table, acc), st.segment_column)
        acc = acc.with_columns(segment)
        catw = {c: st.category_weights.get(c, 1.0) for c in CATEGORIES}
        self.missing = st.missing
        a = (pl.col("arr").fill_null(0.0) if st.arr_weighting else pl.lit(1.0)).alias("a")
        sm = (
            pl.col("segment").replace_strict(list(st.segment_multipliers), list(st.segment_multipliers.values()),
                                             default=1.0, return_dtype=pl.Float64)
            if st.segment_multipliers else pl.lit(1.0)
        ).alias("sm")
        self.acc = acc.with_columns(a, sm).with_columns((pl.col("a") * pl.col("sm")).alias("v"))
        self.meta = _signal_meta(spec, catw)
        self.moments = pl.DataFrame(
            {"stage": [spec.stage_names[s] for s in spec.moment_stage], "moment": spec.moment_names,
             "green": spec.moment_green, "amber": spec.moment_amber, "_m": list(range(spec.M))},
            schema={"stage": pl.String, "moment": pl.String, "green": pl.Float64, "amber": pl.Float64, "_m": pl.Int64},
        )
        self.stages = pl.DataFrame(
            {"stage": spec.stage_names, "green": spec.stage_green, "amber": spec.stage_amber,
             "_s": list(range(spec.S))},
            schema={"stage": pl.String, "green": pl.Float64, "amber": pl.Float64, "_s": pl.Int64},
        )
        segments = self.acc.select("segment").unique()
        ov_rows = [(s, k, float(w)) for s, ws in st.segment_weights.items() for k, w in ws.items()]
        ov = pl.DataFrame(ov_rows, schema={"segment": pl.String, "key": pl.String, "ow": pl.Float64}, orient="row")
        # w per segment x signal
        self.segw = (
            segments.join(self.meta, how="cross")
            .join(ov, on=["segment", "key"], how="left")
            .with_columns((pl.col("cw") * pl.coalesce("ow", "sw")).alias("w"))
            .select("segment", "stage", "moment", "signal", "key", "category", "w")
        )
        self.W_sm = self.segw.group_by("segment", "moment").agg(pl.col("w").sum().alias("W"))
        vals = table.values(st.role_multipliers).select("account_id", "moment", "signal", "value")
        vals = vals.with_columns(pl.col("account_id").cast(pl.String)).join(
            self.meta, on=["moment", "signal"], how="inner"
        )
        vals = self._normalise(vals)
        vals = vals.join(acc.select("account_id", "segment"), on="account_id", how="left")
        if ov.height:
            vals = vals.join(ov, on=["segment", "key"], how="left")
        else:
            vals = vals.with_columns(pl.lit(None, pl.Float64).alias("ow"))
        self.vals = vals.with_columns((pl.col("cw") * pl.coalesce("ow", "sw")).alias("w")).drop("ow")
        self._am: pl.DataFrame | None = None
        self._cells: pl.DataFrame | None = None
        self._memo: dict[tuple[str, tuple[str, ...]], pl.DataFrame] = {}
        self._groups: dict[tuple[str, ...], tuple[pl.DataFrame, pl.DataFrame]] = {}

    def groups(self, by: tuple[str, ...]) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The accounts with their group of the slice ``by`` (account_id, segment, a, sm, v, _g)
        and the groups (_g and the ``by`` columns, sorted by them, null last; NaN is null)."""
        if by not in self._groups:
            tmp = [f"_by{i}" for i in range(len(by))]
            values = self.dims.select(
                (pl.col(c).fill_nan(None) if self.dims.schema[c].is_float() else pl.col(c)).alias(t)
                for c, t in zip(by, tmp, strict=True)
            )
            order = [
                pl.col(t).cast(pl.String) if isinstance(values.schema[t], pl.Categorical) else pl.col(t) for t in tmp
            ]
            labels = values.unique().sort(order, nulls_last=True).with_row_index("_g")
            accounts = (
                pl.concat([self.acc, values], how="horizontal")
                .join(labels, on=tmp, how="left", nulls_equal=True)
                .drop(tmp)
            )
            self._groups[by] = (accounts, labels.rename(dict(zip(tmp, by, strict=True))))
        return self._groups[by]

    def _accounts(self, by: tuple[str, ...]) -> pl.DataFrame:
        return self.groups(by)[0] if by else self.acc

    def _normalise(self, vals: pl.DataFrame) -> pl.DataFrame:
        linear = (100.0 * ((pl.col("value") - pl.col("floor")) / (pl.col("target") - pl.col("floor"))).clip(0.0, 1.0))
        if (vals["normaliser"] == "linear").all():
            return vals.with_columns(linear.alias("score"))
        parts = []
        for (moment, signal), part in vals.group_by("moment", "signal"):
            sig = self.journey.signal(moment, signal)
            scores = normalise(part["value"].to_numpy(), sig, part["normaliser"][0])  # checked, as the model's
            parts.append(part.with_columns(pl.Series("score", scores, pl.Float64)))
        return pl.concat(parts)

    def account_moments(self) -> pl.DataFrame:
        """account_id, segment, moment, mis (null: none), pw (observed weight), W; and the
        per-signal contributions in ``self._cells``."""
        if self._am is not None:
            return self._am
        v = self.vals
        am = (
            v.group_by("account_id", "segment", "moment")
            .agg((pl.col("w") * pl.col("score")).sum().alias("pnum"), pl.col("w").sum().alias("pw"))
            .join(self.W_sm, on=["segment", "moment"], how="left")
        )
        if self.missing == "impute":
            mu = v.group_by("moment", "signal").agg(pl.col("score").mean().alias("mu"))
            cells = (
                am.select("account_id", "segment", "moment")
                .join(self.segw.select("segment", "moment", "signal", "w"), on=["segment", "moment"])
                .join(v.select("account_id", "moment", "signal", "score"),
                      on=["account_id", "moment", "signal"], how="left")
                .join(mu, on=["moment", "signal"], how="left")
                .with_columns(pl.coalesce("score", "mu").alias("s"))
                .filter(pl.col("s").is_not_null())
            )
            dens = cells.group_by("account_id", "moment").agg(
                (pl.col("w") * pl.col("s")).sum().alias("num"), pl.col("w").sum().alias("den")
            )
            am = am.join(dens, on=["account_id", "moment"], how="left")
        else:
            cells = v.select("account_id", "segment", "moment", "signal", "w", pl.col("score").alias("s"))
            den = pl.col("pw") if self.missing == "renormalise" else pl.col("W")
            am = am.with_columns(pl.col("pnum").alias("num"), den.alias("den"))
        am = am.with_columns(
            pl.when(pl.col("den") > 0).then((pl.col("num") / pl.col("den")).clip(0.0, 100.0)).alias("mis")
        )
        self._cells = cells.join(am.select("account_id", "moment", "den", "mis"), on=["account_id", "moment"]).filter(
            pl.col("mis").is_not_null()
        ).with_columns((pl.col("w") * pl.col("s") / pl.col("den")).alias("c"))
        self._am = am.select("account_id", "segment", "moment", "mis", "pw", "W")
        return self._am

    # population: () = all accounts, weighed v; a slice: per group, weighed v, or a when the
    # slice includes the segment column (each group is one segment: its multiplier cancels)
    def _wcol(self, by: tuple[str, ...]) -> str:
        return "a" if self.segment_column in by or "segment" in by else "v"

    def _pt(self, by: tuple[str, ...]) -> pl.Expr:
        return pl.col("T") * (pl.lit(1.0) if self._wcol(by) == "a" else pl.col("sm"))

    def moment_rollup(self, by: tuple[str, ...]) -> pl.DataFrame:
        if ("moment", by) not in self._memo:
            self._memo["moment", by] = self._moment_rollup(by)
        return self._memo["moment", by]

    def _moment_rollup(self, by: tuple[str, ...]) -> pl.DataFrame:
        am = self.account_moments()
        wc = self._wcol(by)
        keys = ["_g"] if by else []
        acc = self._accounts(by).select("account_id", pl.col(wc).alias("x"), *keys)
        amx = am.join(acc, on="account_id")
        agg = amx.group_by(*keys, "moment").agg(
            pl.col("x").filter(pl.col("mis").is_not_null()).sum().alias("B"),
            (pl.col("x") * pl.col("mis")).filter(pl.col("mis").is_not_null()).sum().alias("NUM"),
            (pl.col("x") * pl.col("pw")).sum().alias("covnum"),
            (pl.col("x") > 0).sum().alias("n"),
        )
        # total weight: T per segment (x group) x W per segment x moment
        T = self._accounts(by).group_by("segment", *keys).agg(
            pl.col("a").sum().alias("T"), pl.col("sm").first().alias("sm")
        )
        TW = self.W_sm.join(T, on="segment").with_columns(self._pt(by).alias("pt"))
        covden = TW.group_by(*keys, "moment").agg((pl.col("pt") * pl.col("W")).sum().alias("covden"))
        base = self.segw_base()
        wm = TW.group_by(*keys, "moment").agg(
            ((pl.col("pt") * pl.col("W")).sum() / pl.col("pt").sum()).alias("Wp"), pl.col("pt").sum().alias("ptot")
        )
        grid = self.moments
        if by:
            grid = self.groups(by)[1].select(keys).join(grid, how="cross")
        out = (
            grid.join(agg, on=[*keys, "moment"], how="left")
            .join(covden, on=[*keys, "moment"], how="left")
            .join(wm, on=[*keys, "moment"], how="left")
            .join(base, on="moment", how="left")
            .with_columns(
                pl.when(pl.col("B") > 0).then((pl.col("NUM") / pl.col("B")).clip(0.0, 100.0)).alias("mis"),
                pl.when(pl.col("covden") > 0)
                .then(pl.col("covnum").fill_null(0.0) / pl.col("covden"))
                .alias("coverage"),
                pl.col("n").fill_null(0).cast(pl.Int64).alias("n_accounts"),
                pl.when(pl.col("ptot") > 0).then(pl.col("Wp")).otherwise(pl.col("Wbase")).fill_null(0.0)
                .alias("weight"),
            )
        )
        return out.sort(*keys, "_m").select(
            *keys, "stage", "moment", "mis", "coverage", "n_accounts", "weight", "green", "amber"
        )

    def segw_base(self) -> pl.DataFrame:
        return self.meta.group_by("moment").agg((pl.col("cw") * pl.col("sw")).sum().alias("Wbase"))

    def _n_in(self, by: tuple[str, ...], group: list[str]) -> pl.DataFrame:
        wc = self._wcol(by)
        keys = ["_g"] if by else []
        present = (
            self.account_moments().select("account_id", "moment")
            .join(self.moments.select("moment", "stage"), on="moment")
            .join(self._accounts(by).select("account_id", pl.col(wc).alias("x"), *keys), on="account_id")
        )
        present = present.filter(pl.col("x") > 0)
        if not group:
            present = present.with_columns(pl.lit(1).alias("_all"))
            group = ["_all"]
        return (
            present.group_by(*keys, *group)
            .agg(pl.col("account_id").n_unique().cast(pl.Int64).alias("n"))
        )

    def stage_rollup(self, by: tuple[str, ...]) -> pl.DataFrame:
        keys = ["_g"] if by else []
        mom = self.moment_rollup(by)
        covparts = self._cov_parts(by).group_by(*keys, "stage").agg(pl.col("covnum").sum(), pl.col("covden").sum())
        agg = mom.group_by(*keys, "stage", maintain_order=True).agg(
            (pl.col("weight") * pl.col("mis")).filter(pl.col("mis").is_not_null()).sum().alias("NUM"),
            pl.col("weight").filter(pl.col("mis").is_not_null()).sum().alias("WD"),
            pl.col("weight").sum().alias("weight"),
        )
        grid = self.stages
        if by:
            grid = self.groups(by)[1].select(keys).join(grid, how="cross")
        n = self._n_in(by, ["stage"])
        return (
            grid.join(agg, on=[*keys, "stage"], how="left")
            .join(covparts, on=[*keys, "stage"], how="left")
            .join(n, on=[*keys, "stage"], how="left")
            .with_columns(
                pl.when(pl.col("WD") > 0).then((pl.col("NUM") / pl.col("WD")).clip(0.0, 100.0)).alias("mis"),
                pl.when(pl.col("covden") > 0).then(pl.col("covnum") / pl.col("covden")).alias("coverage"),
                pl.col("n").fill_null(0).alias("n_accounts"),
                pl.col("weight").fill_null(0.0),
            )
            .sort(*keys, "_s")
            .select(*keys, "stage", "mis", "coverage", "n_accounts", "weight", "green", "amber")
        )

    def _cov_parts(self, by: tuple[str, ...]) -> pl.DataFrame:
        if ("cov", by) not in self._memo:
            self._memo["cov", by] = self._cov_parts_(by)
        return self._memo["cov", by]

    def _cov_parts_(self, by: tuple[str, ...]) -> pl.DataFrame:
        """covnum/covden per [segment x] moment (with its stage)."""
        am = self.account_moments()
        wc = self._wcol(by)
        keys = ["_g"] if by else []
        acc = self._accounts(by).select("account_id", pl.col(wc).alias("x"), *keys)
        num = (
            am.join(acc, on="account_id")
            .group_by(*keys, "moment")
            .agg((pl.col("x") * pl.col("pw")).sum().alias("covnum"))
        )
        T = self._accounts(by).group_by("segment", *keys).agg(
            pl.col("a").sum().alias("T"), pl.col("sm").first().alias("sm")
        )
        den = (
            self.W_sm.join(T, on="segment")
            .with_columns((self._pt(by) * pl.col("W")).alias("covden"))
            .group_by(*keys, "moment")
            .agg(pl.col("covden").sum())
        )
        return (
            den.join(num, on=[*keys, "moment"], how="left")
            .with_columns(pl.col("covnum").fill_null(0.0))
            .join(self.moments.select("stage", "moment"), on="moment")
        )

    def journey_rollup(self, by: tuple[str, ...]) -> pl.DataFrame:
        keys = ["_g"] if by else []
        mom = self.moment_rollup(by)
        cov = self._cov_parts(by)
        cov = (cov.group_by(*keys).agg(pl.col("covnum").sum(), pl.col("covden").sum()) if keys
               else cov.select(pl.col("covnum").sum(), pl.col("covden").sum()))
        if keys:
            agg = mom.group_by(*keys).agg(
                (pl.col("weight") * pl.col("mis")).filter(pl.col("mis").is_not_null()).sum().alias("NUM"),
                pl.col("weight").filter(pl.col("mis").is_not_null()).sum().alias("WD"),
            )
            grid = self.groups(by)[1].select(keys)
            out = grid.join(agg, on=keys, how="left").join(cov, on=keys, how="left")
            out = out.join(self._n_in(by, []).drop("_all"), on=keys, how="left")
        else:
            agg = mom.select(
                (pl.col("weight") * pl.col("mis")).filter(pl.col("mis").is_not_null()).sum().alias("NUM"),
                pl.col("weight").filter(pl.col("mis").is_not_null()).sum().alias("WD"),
            )
            n = self._n_in(by, [])
            out = pl.concat([agg, cov, pl.DataFrame({"n": [n["n"].sum() if n.height else 0]}, schema={"n": pl.Int64})],
                            how="horizontal")
        return out.with_columns(
            pl.lit(self.spec.journey_name).alias("journey"),
            pl.when(pl.col("WD") > 0).then((pl.col("NUM") / pl.col("WD")).clip(0.0, 100.0)).alias("mis"),
            pl.when(pl.col("covden") > 0).then(pl.col("covnum") / pl.col("covden")).alias("coverage"),
            pl.col("n").fill_null(0).cast(pl.Int64).alias("n_accounts"),
            pl.lit(self.spec.journey_green).alias("green"),
            pl.lit(self.spec.journey_amber).alias("amber"),
        ).select(*keys, "journey", "mis", "coverage", "n_accounts", "green", "amber")

    def account_rollup(self, by: str | None) -> pl.DataFrame:
        am = self.account_moments()
        grid = (
            self.acc.select("account_id", "segment", "arr").with_row_index("_i")
            .join(self.moments, how="cross")
            .join(self.W_sm, on=["segment", "moment"], how="left")
            .join(am.select("account_id", "moment", "mis", "pw"), on=["account_id", "moment"], how="left")
            .with_columns(pl.col("W").fill_null(0.0), pl.col("pw").fill_null(0.0))
        )
        if by == "moment":
            out = grid.with_columns(
                pl.when(pl.col("W") > 0).then(pl.col("pw") / pl.col("W")).alias("coverage")
            ).sort("_i", "_m")
            return out.select("account_id", "segment", "arr", "stage", "moment", "mis", "coverage", "green", "amber")
        keys = ["stage"] if by == "stage" else []
        agg = grid.group_by("_i", *keys).agg(
            (pl.col("W") * pl.col("mis")).filter(pl.col("mis").is_not_null()).sum().alias("NUM"),
            pl.col("W").filter(pl.col("mis").is_not_null()).sum().alias("WD"),
            pl.col("pw").sum().alias("pw"),
            pl.col("W").sum().alias("Wt"),
        )
        base = self.acc.select("account_id", "segment", "arr").with_row_index("_i")
        if by == "stage":
            agg = base.join(self.stages, how="cross").join(agg, on=["_i", "stage"], how="left").sort("_i", "_s")
        else:
            agg = (
                base.join(agg, on="_i", how="left")
                .with_columns(
                    pl.lit(self.spec.journey_green).alias("green"), pl.lit(self.spec.journey_amber).alias("amber")
                )
                .sort("_i")
            )
        return agg.with_columns(
            pl.when(pl.col("WD") > 0).then((pl.col("NUM") / pl.col("WD")).clip(0.0, 100.0)).alias("mis"),
            pl.when(pl.col("Wt") > 0).then(pl.col("pw") / pl.col("Wt")).alias("coverage"),
        ).select("account_id", "segment", "arr", *keys, "mis", "coverage", "green", "amber")

    def contributions(self, level: str, by: object) -> pl.DataFrame:
        """The signals' points per signal (x group of the slice ``by``); level segment: the journey per segment
        (:mod:`cxwidgets.mis.recompute_contributions`)."""
        return _reference_contributions(self, level, by)

    def score(self, level: str, by: object, top: int | None = None) -> pl.DataFrame:
        _check_level(level)
        checked = _check_by(level, by)
        if level == "account":
            df = self.account_rollup(checked)
            df = df.with_columns(_status_expr().alias("status"))
            if top is not None:
                df = (
                    df.with_row_index("_r").filter(pl.col("mis").is_not_null())
                    .sort(pl.col("mis").round(_TIE_DECIMALS), "_r").head(top).drop("_r")
                )
            return df
        if level == "segment":
            seg = (self.segment_column,)
            df = self.labelled(self.journey_rollup(seg), seg).drop("journey")
            return df.rename({self.segment_column: "segment"}) if self.segment_column != "segment" else df
        _check_dimensions(checked, self.dims, self.dims.columns)
        if level == "moment":
            df = self.moment_rollup(checked)
        elif level == "stage":
            df = self.stage_rollup(checked)
        else:
            df = self.journey_rollup(checked)
        return self.labelled(df, checked)

    def labelled(self, df: pl.DataFrame, by: tuple[str, ...], status: bool = True) -> pl.DataFrame:
        """``df`` with its group number ``_g`` replaced by the group's values (the ``by``
        columns first), rows in group order, and the status column."""
        if by:
            labels = self.groups(by)[1]
            df = df.sort("_g", maintain_order=True).join(labels, on="_g", how="left", maintain_order="left")
            df = df.select(*by, pl.exclude("_g", *by))
        return df.with_columns(_status_expr().alias("status")) if status else df
