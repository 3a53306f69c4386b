"""Scale: NPS by moment x segment x month and bind over a parquet book of 1M, 10M, 100M responses.

The book (``cx.datasets.write_book``: responses, tickets, events, accounts; 10 responses per
account, so ``n_accounts = responses / 10``) is written once per size into ``--dir`` (default
``/tmp/cx-book-<size>``) and reused when it is already there. Every measurement runs in a fresh
Python process (``python bench_scale.py --child ...``): its wall time is that of the job alone
(imports done before), its peak RSS the whole process's high-water mark (``os.wait4``'s
``ru_maxrss``), and "collected" is what crossed from the engine into Python (rows and bytes:
``cxwidgets.engines.collected()`` for cxwidgets where it exists, else the returned result; the
tables read whole for pandas and in-memory polars). A watchdog kills a child whose RSS passes
``--max-rss-gib`` (default 10): the machine is shared.

Two jobs, each engine against hand-written DuckDB SQL over the parquet (the baseline) and
against in-memory polars (the book read whole with ``pl.read_parquet``, then cxwidgets), where
that fits:

- ``nps``: responses joined to accounts (segment), responded_at truncated to the month, NPS with
  n per moment x segment x month. Engines: ``duckdb_sql`` (by hand), ``polars_lazy`` (by hand:
  ``scan_parquet``, join, group_by, ``collect(engine="streaming")``), ``pandas`` (read_parquet of
  the needed columns, merge, groupby; not above 10M), ``cx_polars_memory``
  (``cx.metrics.nps_summary`` on the eager join), ``cx_polars_lazy`` and ``cx_duckdb``
  (``nps_summary`` on the joined LazyFrame / DuckDB relation built by the user).
- ``bind``: ``cx.bind(cx.Journey.template("saas"), tables)`` with the tables read whole
  (``cx_polars_memory``), as ``scan_parquet`` LazyFrames (``cx_polars_lazy``) and as DuckDB
  relations (``cx_duckdb``); baselines ``duckdb_sql`` and ``polars_lazy`` by hand for three
  representative signals only: QBR NPS (per account x role: sum of NPS points and count), P1
  resolution time (per account: the larger of the median hours of closed P1 tickets and the age of
  the oldest open one at as_of) and the accounts list (account_id, segment, arr).

Each result is checked against the DuckDB SQL one (NPS: same groups, same n, NPS to 1e-9; bind:
per covered signal, rows and the sums of total and n to 1e-9 relative). DuckDB runs with
``threads=2`` and ``memory_limit='6GB'`` (the machine is shared); polars with its default.

Run: ``python benchmarks/bench_scale.py --sizes 1e6,1e7 [--jobs nps,bind] [--engines ...]``.
Results go to ``benchmarks/results/bench_scale.json`` and ``.md``; ratios, never pass/fail.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

RESPONSES_PER_ACCOUNT = 10
NPS_ENGINES = ("duckdb_sql", "polars_lazy", "pandas", "cx_polars_memory", "cx_polars_lazy", "cx_duckdb", "cx_spark")
BIND_ENGINES = ("duckdb_sql", "polars_lazy", "cx_polars_memory", "cx_polars_lazy", "cx_duckdb", "cx_spark")
_SPARK: Any = None  # one local[2] session per child process, started before the clock (see child())


def _spark() -> Any:
    """PySpark in local mode (``cx_spark``): the JVM is a process of its own, so the peak RSS
    reported for this engine is the Python process's only (the JVM's memory is not in it)."""
    global _SPARK
    if _SPARK is None:
        import warnings

        from pyspark.sql import SparkSession

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            _SPARK = (
                SparkSession.builder.master("local[2]")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.driver.memory", "4g")
                .getOrCreate()
            )
        _SPARK.sparkContext.setLogLevel("ERROR")
    return _SPARK
IN_MEMORY = ("pandas", "cx_polars_memory")  # read whole tables into Python: not above --in-memory-max
BASELINE, MEMORY_REF = "duckdb_sql", "cx_polars_memory"
BIND_COVERS = "QBR NPS (per account x role sum and count), P1 resolution time (per account), accounts list"
DUCKDB_SETTINGS = {"threads": 2, "memory_limit": "6GB", "TimeZone": "UTC"}
QBR, P1 = "Quarterly Business Review", "P1 resolution time"


# ---------------------------------------------------------------------------------------------
# the child: one job on one engine, in its own process


def _duckdb_con() -> Any:
    import duckdb

    con = duckdb.connect()
    for key, value in DUCKDB_SETTINGS.items():
        con.execute(f"SET {key} = '{value}'")
    return con


def _wire() -> Any:
    """``cxwidgets.engines.collected()`` if the package has it, else None."""
    try:
        from cxwidgets import engines
    except ImportError:
        return None
    make = getattr(engines, "collected", None)
    return make() if make is not None else None


def _queries(wire: Any) -> dict[str, Any] | None:
    """How many queries crossed inside a ``collected()`` block and the three largest (what, rows, bytes)."""
    found = getattr(wire, "queries", None)
    if found is None:
        return None
    largest = sorted(found, key=lambda q: -q[2])[:3]
    return {"count": len(found), "largest": [[str(w), int(r), int(b)] for w, r, b in largest]}


def _frame_bytes(frame: Any) -> tuple[int, int]:
    import polars as pl

    if isinstance(frame, pl.DataFrame):
        return frame.height, int(frame.estimated_size())
    return len(frame), int(frame.memory_usage(deep=True).sum())  # pandas


def _month_text(frame: Any, column: str = "month") -> Any:
    import polars as pl

    dtype = frame.schema[column]
    if isinstance(dtype, pl.Datetime) and dtype.time_zone not in (None, "UTC"):
        frame = frame.with_columns(pl.col(column).dt.convert_time_zone("UTC"))
    if isinstance(dtype, (pl.Datetime, pl.Date)):
        return frame.with_columns(pl.col(column).dt.strftime("%Y-%m"))
    return frame.with_columns(pl.col(column).cast(pl.String).str.slice(0, 7))


def _nps_rows(frame: Any) -> list[list[Any]]:
    import polars as pl

    out = _month_text(frame).select("moment", "segment", "month", pl.col("n").cast(pl.Int64), "nps")
    return sorted([list(r) for r in out.rows()], key=lambda r: (r[0], r[1], r[2]))


def _sql_nps(glob: dict[str, str]) -> str:
    return f"""
        SELECT r.moment, a.segment, date_trunc('month', r.responded_at) AS month, count(*) AS n,
               100.0 * (count(*) FILTER (WHERE r.score >= 9) - count(*) FILTER (WHERE r.score <= 6)) / count(*) AS nps
        FROM read_parquet('{glob["responses"]}') r JOIN read_parquet('{glob["accounts"]}') a USING (account_id)
        WHERE r.metric = 'nps' AND r.score IS NOT NULL
        GROUP BY ALL"""


def job_nps(engine: str, book: Any) -> dict[str, Any]:
    import polars as pl

    glob = {t: book.glob(t) for t in ("responses", "accounts")}
    keys = ["moment", "segment", "month"]
    need = ["account_id", "moment", "metric", "score", "responded_at"]
    wire, queries = None, None
    t0 = time.perf_counter()
    if engine == "duckdb_sql":
        result = _duckdb_con().sql(_sql_nps(glob)).pl()
        rows, size = _frame_bytes(result)
    elif engine == "polars_lazy":
        s = pl.col("score")
        result = (
            pl.scan_parquet(glob["responses"])
            .select(need)
            .filter((pl.col("metric") == "nps") & s.is_not_null())
            .join(pl.scan_parquet(glob["accounts"]).select("account_id", "segment"), on="account_id")
            .with_columns(pl.col("responded_at").dt.truncate("1mo").alias("month"))
            .group_by(keys)
            .agg(
                pl.len().alias("n"),
                ((s >= 9).sum().cast(pl.Float64) - (s <= 6).sum().cast(pl.Float64)).alias("_pd"),
            )
            .with_columns((100.0 * pl.col("_pd") / pl.col("n")).alias("nps"))
            .collect(engine="streaming")
        )
        rows, size = _frame_bytes(result)
    elif engine == "pandas":
        import pandas as pd

        r = pd.read_parquet(Path(glob["responses"]).parent, columns=need)
        a = pd.read_parquet(Path(glob["accounts"]).parent, columns=["account_id", "segment"])
        rows, size = len(r) + len(a), _frame_bytes(r)[1] + _frame_bytes(a)[1]
        r = r[(r["metric"] == "nps") & r["score"].notna()].merge(a, on="account_id")
        r["month"] = r["responded_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period("M")
        r["_p"], r["_d"] = r["score"] >= 9, r["score"] <= 6
        g = r.groupby(keys, observed=True).agg(n=("score", "size"), p=("_p", "sum"), d=("_d", "sum")).reset_index()
        g["nps"] = 100.0 * (g["p"] - g["d"]) / g["n"]
        g["month"] = g["month"].astype(str)
        result = pl.from_pandas(g[[*keys, "n", "nps"]])
    elif engine == "cx_polars_memory":
        import cxwidgets as cx

        r = pl.read_parquet(glob["responses"])
        a = pl.read_parquet(glob["accounts"])
        rows, size = r.height + a.height, int(r.estimated_size() + a.estimated_size())
        joined = (
            r.drop("segment")
            .join(a.select("account_id", "segment"), on="account_id")
            .with_columns(pl.col("responded_at").dt.truncate("1mo").alias("month"))
        )
        result = cx.metrics.nps_summary(joined, by=keys)
    elif engine in ("cx_polars_lazy", "cx_duckdb", "cx_spark"):
        import cxwidgets as cx

        if engine == "cx_spark":
            from pyspark.sql import functions as F

            spark = _spark()
            frame = (
                spark.read.parquet(str(Path(glob["responses"]).parent))
                .select("account_id", "moment", "metric", "score", "responded_at")
                .join(spark.read.parquet(str(Path(glob["accounts"]).parent)).select("account_id", "segment"),
                      on="account_id")
                .withColumn("month", F.date_trunc("month", F.col("responded_at")))
            )
        elif engine == "cx_polars_lazy":
            frame: Any = (
                pl.scan_parquet(glob["responses"])
                .select(need)
                .join(pl.scan_parquet(glob["accounts"]).select("account_id", "segment"), on="account_id")
                .with_columns(pl.col("responded_at").dt.truncate("1mo").alias("month"))
            )
        else:
            frame = _duckdb_con().sql(
                f"""SELECT r.account_id, r.moment, r.metric, r.score, a.segment,
                           date_trunc('month', r.responded_at) AS month
                    FROM read_parquet('{glob["responses"]}') r
                    JOIN read_parquet('{glob["accounts"]}') a USING (account_id)"""
            )
        wire = _wire()
        if wire is not None:
            with wire as w:
                result = cx.metrics.nps_summary(frame, by=keys)
            rows, size, queries = int(w.rows), int(w.bytes), _queries(w)
        else:
            result = cx.metrics.nps_summary(frame, by=keys)
            rows, size = _frame_bytes(result)
    else:
        raise SystemExit(f"unknown nps engine {engine}")
    seconds = time.perf_counter() - t0
    if engine in ("duckdb_sql", "polars_lazy"):
        rows, size = _frame_bytes(result)
    return {
        "seconds": seconds,
        "rows_collected": rows,
        "bytes_collected": size,
        "collected_from": "engines.collected()" if wire is not None else "result / tables read",
        "queries": queries,
        "result_rows": result.height,
        "check": _nps_rows(result),
    }


def _sql_bind(glob: dict[str, str], as_of: str) -> dict[str, str]:
    hours = "(epoch_us({end}) - epoch_us(created_at)) / 3.6e9"
    return {
        "QBR NPS": f"""
            SELECT account_id, role,
                   sum(CASE WHEN score >= 9 THEN 100.0 WHEN score <= 6 THEN -100.0 ELSE 0.0 END) AS total,
                   count(*) AS n
            FROM read_parquet('{glob["responses"]}')
            WHERE moment = '{QBR}' AND metric = 'nps' AND score IS NOT NULL
              AND responded_at <= TIMESTAMPTZ '{as_of}'
            GROUP BY account_id, role""",
        P1: f"""
            SELECT account_id,
                   greatest(quantile_cont(CASE WHEN closed THEN d END, 0.5), max(CASE WHEN NOT closed THEN d END))
                       AS total, 1 AS n
            FROM (SELECT account_id, resolved_at IS NOT NULL AND resolved_at <= TIMESTAMPTZ '{as_of}' AS closed,
                         CASE WHEN resolved_at IS NOT NULL AND resolved_at <= TIMESTAMPTZ '{as_of}'
                              THEN {hours.format(end="resolved_at")}
                              ELSE {hours.format(end=f"TIMESTAMPTZ '{as_of}'")} END AS d
                  FROM read_parquet('{glob["tickets"]}')
                  WHERE priority = 'P1' AND created_at <= TIMESTAMPTZ '{as_of}')
            GROUP BY account_id""",
        "accounts": f"SELECT account_id, segment, arr FROM read_parquet('{glob['accounts']}')",
    }


def _polars_bind(glob: dict[str, str], as_of: Any) -> dict[str, Any]:
    import polars as pl

    s, lit_as_of = pl.col("score"), pl.lit(as_of).cast(pl.Datetime("us", "UTC"))
    points = pl.when(s >= 9).then(100.0).when(s <= 6).then(-100.0).otherwise(0.0)
    nps = (
        pl.scan_parquet(glob["responses"])
        .filter(
            (pl.col("moment") == QBR)
            & (pl.col("metric") == "nps")
            & s.is_not_null()
            & (pl.col("responded_at") <= lit_as_of)
        )
        .group_by("account_id", "role")
        .agg(points.sum().alias("total"), pl.len().alias("n"))
    )
    closed = pl.col("resolved_at").is_not_null() & (pl.col("resolved_at") <= lit_as_of)
    end = pl.when(closed).then(pl.col("resolved_at")).otherwise(lit_as_of)
    p1 = (
        pl.scan_parquet(glob["tickets"])
        .filter((pl.col("priority") == "P1") & (pl.col("created_at") <= lit_as_of))
        .with_columns(((end - pl.col("created_at")).dt.total_microseconds() / 3.6e9).alias("d"), closed.alias("closed"))
        .group_by("account_id")
        .agg(
            pl.col("d").filter(pl.col("closed")).quantile(0.5, interpolation="linear").alias("_c"),
            pl.col("d").filter(~pl.col("closed")).max().alias("_o"),
        )
        .select("account_id", pl.max_horizontal("_c", "_o").alias("total"), pl.lit(1).alias("n"))
    )
    accounts = pl.scan_parquet(glob["accounts"]).select("account_id", "segment", "arr")
    frames = pl.collect_all([nps, p1, accounts], engine="streaming")
    return dict(zip(("QBR NPS", P1, "accounts"), frames, strict=True))


def _bind_check(parts: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, frame in parts.items():
        if name == "accounts":
            out[name] = {"rows": frame.height, "sum_arr": float(frame["arr"].sum())}
        else:
            out[name] = {
                "rows": frame.height,
                "sum_total": float(frame["total"].sum()),
                "sum_n": int(frame["n"].sum()),
            }
    return out


def job_bind(engine: str, book: Any) -> dict[str, Any]:
    import polars as pl

    glob = {t: book.glob(t) for t in ("responses", "tickets", "events", "accounts")}
    wire, queries = None, None
    t0 = time.perf_counter()
    if engine == "duckdb_sql":
        con = _duckdb_con()
        parts = {name: con.sql(q).pl() for name, q in _sql_bind(glob, book.as_of.isoformat()).items()}
    elif engine == "polars_lazy":
        parts = _polars_bind(glob, book.as_of)
    elif engine in ("cx_polars_memory", "cx_polars_lazy", "cx_duckdb", "cx_spark"):
        import cxwidgets as cx

        journey = cx.Journey.template("saas")
        if engine == "cx_polars_memory":
            tables: dict[str, Any] = book.read()
            rows = sum(f.height for f in tables.values())
            size = int(sum(f.estimated_size() for f in tables.values()))
            bound = cx.bind(journey, tables, as_of=book.as_of, progress=False)
        else:
            if engine == "cx_spark":
                spark = _spark()
                tables = {t: spark.read.parquet(str(Path(g).parent)) for t, g in glob.items()}
            else:
                tables = book.scan() if engine == "cx_polars_lazy" else book.duckdb(_duckdb_con())
            wire = _wire()
            if wire is not None:
                with wire as w:
                    bound = cx.bind(journey, tables, as_of=book.as_of, progress=False)
                rows, size, queries = int(w.rows), int(w.bytes), _queries(w)
            else:
                bound = cx.bind(journey, tables, as_of=book.as_of, progress=False)
                rows, size = _frame_bytes(bound.observations)
        obs = bound.observations
        parts = {
            "QBR NPS": obs.filter(pl.col("signal") == "QBR NPS"),
            P1: obs.filter(pl.col("signal") == P1),
            "accounts": bound.accounts,
        }
    else:
        raise SystemExit(f"unknown bind engine {engine}")
    seconds = time.perf_counter() - t0
    if engine in ("duckdb_sql", "polars_lazy"):
        rows = sum(f.height for f in parts.values())
        size = int(sum(f.estimated_size() for f in parts.values()))
        result_rows = rows
    else:
        result_rows = bound.observations.height
    return {
        "seconds": seconds,
        "rows_collected": rows,
        "bytes_collected": size,
        "collected_from": "engines.collected()" if wire is not None else "result / tables read",
        "queries": queries,
        "result_rows": result_rows,
        "check": _bind_check(parts),
    }


def child(job: str, engine: str, folder: str, out: str) -> None:
    import resource

    import polars as pl  # noqa: F401  (imports before the clock starts)

    if engine.endswith("duckdb") or engine == "duckdb_sql":
        import duckdb  # noqa: F401
    if engine == "pandas":
        import pandas  # noqa: F401
    import cxwidgets as cx

    if engine.startswith("cx_"):
        import cxwidgets.binding  # noqa: F401
        import cxwidgets.metrics  # noqa: F401
    if engine == "cx_spark":
        _spark()  # the JVM starts before the clock
    book = cx.datasets.open_book(folder)
    base_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:
        result = (job_nps if job == "nps" else job_bind)(engine, book)
    except Exception as err:  # recorded, not fixed: the bench measures what the package does today
        result = {"error": f"{type(err).__name__}: {str(err).splitlines()[0][:300]}"}
    result["rss_after_imports_mib"] = base_mib
    Path(out).write_text(json.dumps(result))


# ---------------------------------------------------------------------------------------------
# the parent: books, fresh processes, the watchdog, the table


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_child(args: list[str], max_rss_kib: int, timeout_s: float) -> tuple[dict[str, Any], float, int]:
    """Run ``bench_scale.py --child *args`` in a fresh process; its JSON result, wall time and
    peak RSS (KiB, from os.wait4), killed if its RSS passes ``max_rss_kib`` or it runs past ``timeout_s``."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = fh.name
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child", *args, out])
    killed = None
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if _rss_kib(proc.pid) > max_rss_kib:
            killed = f"killed: RSS over {max_rss_kib / 2**20:.0f} GiB"
            proc.kill()
        elif time.perf_counter() - t0 > timeout_s:
            killed = f"killed: over {timeout_s:.0f} s"
            proc.kill()
        if killed:
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    try:
        result = json.loads(Path(out).read_text()) if Path(out).stat().st_size else {}
    except (OSError, ValueError):
        result = {}
    Path(out).unlink(missing_ok=True)
    if killed:
        result = {"error": killed}
    elif not result:
        result = {"error": f"child exited with {proc.returncode} and no result"}
    return result, wall, int(usage.ru_maxrss)


def size_label(responses: int) -> str:
    exp = round(math.log10(responses))
    return f"1e{exp}" if 10**exp == responses else str(responses)


def ensure_book(folder: Path, responses: int) -> tuple[Any, dict[str, Any]]:
    """The book of ``responses`` responses in ``folder``: reused if there, else written (in a fresh process)."""
    import cxwidgets as cx

    n_accounts = responses // RESPONSES_PER_ACCOUNT
    if (folder / "book.json").exists():
        book = cx.datasets.open_book(folder)
        if book.n_accounts == n_accounts and book.rows["responses"] == responses:
            return book, {"generated": False}
        raise SystemExit(f"{folder} holds a book of {book.rows['responses']:,} responses, not {responses:,}")
    print(f"writing a book of {responses:,} responses ({n_accounts:,} accounts) to {folder} ...", flush=True)
    result, wall, peak = run_child(["write", str(n_accounts), str(folder)], 12 * 2**20, 3600)
    if "error" in result:
        raise SystemExit(f"writing the book failed: {result['error']}")
    book = cx.datasets.open_book(folder)
    return book, {"generated": True, "seconds": result["seconds"], "peak_rss_mib": peak / 1024}


def child_write(n_accounts: str, folder: str, out: str) -> None:
    import cxwidgets as cx

    t0 = time.perf_counter()
    cx.datasets.write_book(folder, n_accounts=int(n_accounts), responses_per_account=RESPONSES_PER_ACCOUNT)
    Path(out).write_text(json.dumps({"seconds": time.perf_counter() - t0}))


def generation_memory(scratch: Path, sizes: tuple[int, ...] = (200_000, 800_000)) -> list[dict[str, Any]]:
    """Peak RSS of writing books of ``sizes`` accounts (default chunks of 250,000): it should not grow."""
    import shutil

    out = []
    for n in sizes:
        folder = scratch / f"cx-book-gen-{n}"
        if folder.exists():
            shutil.rmtree(folder)
        result, _, peak = run_child(["write", str(n), str(folder)], 12 * 2**20, 3600)
        shutil.rmtree(folder, ignore_errors=True)
        row = {"n_accounts": n, "seconds": result.get("seconds"), "peak_rss_mib": peak / 1024}
        print(f"write_book({n:,} accounts): {row['seconds']:.1f} s, peak RSS {row['peak_rss_mib']:.0f} MiB", flush=True)
        out.append(row)
    return out


def _agrees(job: str, ours: dict[str, Any], base: dict[str, Any] | None) -> str:
    if base is None or "check" not in base or "check" not in ours:
        return "n/a"
    a, b = ours["check"], base["check"]
    if job == "nps":
        if len(a) != len(b):
            return f"no: {len(a)} groups vs {len(b)}"
        for x, y in zip(a, b, strict=True):
            if x[:4] != y[:4] or abs(x[4] - y[4]) > 1e-9:
                return f"no: {x} vs {y}"
        return "yes"
    for name, want in b.items():
        got = a.get(name, {})
        for key, value in want.items():
            if not math.isclose(got.get(key, math.nan), value, rel_tol=1e-9, abs_tol=1e-9):
                return f"no: {name} {key} {got.get(key)} vs {value}"
    return "yes"


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _too_big(responses: int, job: str, engine: str, previous: dict[Any, Any], args: Any) -> str | None:
    """Why ``engine`` is not run at ``responses`` (above 10M): its 10M peak RSS is not under
    ``--big-rss-mib``, or the line through its 1M and 10M peaks passes 80% of ``--max-rss-gib`` here."""
    ten, one = previous.get((10**7, job, engine)), previous.get((10**6, job, engine))
    if ten is None or "error" in ten or "peak_rss_mib" not in ten:
        seen = "not measured" if ten is None else ten.get("error") or ten.get("note")
        return f"skipped: runs above 10M only after a 10M run (10M: {seen})"
    peak = ten["peak_rss_mib"]
    if peak >= args.big_rss_mib:
        return f"skipped: its 10M peak RSS {peak:.0f} MiB is not under {args.big_rss_mib:.0f} MiB"
    if one is not None and "peak_rss_mib" in one:
        slope = max(peak - one["peak_rss_mib"], 0.0) / (10**7 - 10**6)
        guess = peak + slope * (responses - 10**7)
        if guess > 0.8 * args.max_rss_gib * 1024:
            return (
                f"skipped: its peak RSS grows with the size (1M {one['peak_rss_mib']:.0f}, 10M {peak:.0f} MiB): "
                f"about {guess / 1024:.1f} GiB expected here, over 80% of the {args.max_rss_gib:.0f} GiB allowed"
            )
    return None


def measure_size(
    responses: int, book: Any, jobs: list[str], engines: list[str] | None, args: Any, previous: dict[Any, Any]
) -> list[dict[str, Any]]:
    rows = []
    for job in jobs:
        names = NPS_ENGINES if job == "nps" else BIND_ENGINES
        measured: dict[str, dict[str, Any]] = {}
        for engine in names:
            if engines and engine not in engines and engine != BASELINE:
                continue
            row: dict[str, Any] = {"responses": responses, "job": job, "engine": engine}
            skip = None
            if engine in IN_MEMORY and responses > args.in_memory_max:
                skip = f"skipped: reads whole tables into Python; not above {args.in_memory_max:,.0f} responses"
            elif responses > 10**7 and not args.force:
                skip = _too_big(responses, job, engine, previous, args)
            if skip:
                row["note"] = skip
                print(f"  {job:5} {engine:17} {skip}", flush=True)
                rows.append(row)
                continue
            runs = []
            for _ in range(max(args.repeat, 1)):  # fresh processes; the best time, the largest peak
                runs.append(run_child([job, engine, str(book.folder)], int(args.max_rss_gib * 2**20), args.timeout))
                if "error" in runs[-1][0]:
                    break
            result, wall, _ = min(runs, key=lambda r: r[0].get("seconds", math.inf))
            row.update(result)
            row["runs"] = len(runs)
            row["seconds_each"] = [r[0].get("seconds") for r in runs]
            row["process_wall_s"] = wall
            row["peak_rss_mib"] = max(r[2] for r in runs) / 1024
            measured[engine] = row
            text = (
                f"{row['seconds']:8.2f} s, peak RSS {row['peak_rss_mib']:7.0f} MiB, collected "
                f"{row['rows_collected']:>11,} rows / {row['bytes_collected'] / 2**20:9.1f} MiB"
                if "error" not in row
                else row["error"]
            )
            print(f"  {job:5} {engine:17} {text}", flush=True)
            rows.append(row)
        base, mem = measured.get(BASELINE), measured.get(MEMORY_REF)
        for row in rows:
            if row["job"] != job or row["responses"] != responses or "seconds" not in row:
                continue
            row["agrees_with_sql"] = _agrees(job, row, base)
            for ref_name, ref in (("sql", base), ("polars_memory", mem)):
                ok = ref is not None and "seconds" in ref
                row[f"time_vs_{ref_name}"] = _ratio(row["seconds"], ref["seconds"]) if ok else None  # type: ignore[index]
                row[f"rss_vs_{ref_name}"] = _ratio(row["peak_rss_mib"], ref["peak_rss_mib"]) if ok else None  # type: ignore[index]
    return rows


def _merge(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``old`` with every (responses, job, engine) measured again replaced by ``new``, in size, job and engine order."""
    rows = {(r["responses"], r["job"], r["engine"]): r for r in [*old, *new]}
    order = {"nps": NPS_ENGINES, "bind": BIND_ENGINES}

    def key(k: tuple[int, str, str]) -> tuple[int, int, int]:
        engines = order.get(k[1], ())
        return k[0], list(order).index(k[1]) if k[1] in order else 9, engines.index(k[2]) if k[2] in engines else 99

    return [rows[k] for k in sorted(rows, key=key)]


def _fmt(value: Any, spec: str) -> str:
    return "" if value is None else format(value, spec)


def _runs(results: list[dict[str, Any]]) -> str:
    """Runs per measurement, by size: "2 runs per measurement at 1,000,000, 1 at 100,000,000"."""
    by_size: dict[int, int] = {}
    for r in results:
        if "runs" in r:
            by_size[r["responses"]] = max(by_size.get(r["responses"], 0), int(r["runs"]))
    parts = [f"{n} at {size:,}" for size, n in sorted(by_size.items())]
    return "runs per measurement: " + (", ".join(parts) if parts else "1")


def markdown(payload: dict[str, Any]) -> str:
    lines = [
        "# bench_scale: NPS by moment x segment x month and bind over a parquet book",
        "",
        f"Machine: {payload['machine']}. DuckDB settings: {payload['duckdb_settings']}. One fresh process per "
        f"run, {_runs(payload['results'])} (best time, largest peak); time = the job "
        "alone (imports before the clock), peak RSS = the whole process "
        "(ru_maxrss). Collected = rows / bytes that crossed into Python. Ratios: against hand-written DuckDB "
        "SQL (`duckdb_sql`) and in-memory polars (`cx_polars_memory`: the book read whole, then cxwidgets).",
        "",
        f"bind's baselines (`duckdb_sql`, `polars_lazy`) cover only: {BIND_COVERS}; cxwidgets computes every "
        "signal of the SaaS template (10), so its times are not like for like, its check is on the covered ones.",
        "",
    ]
    gen = payload.get("generation_memory")
    if gen:
        lines += ["Writing a book (chunks of 250,000 accounts), peak RSS:", ""]
        lines += [f"- {g['n_accounts']:,} accounts: {g['seconds']:.1f} s, {g['peak_rss_mib']:.0f} MiB" for g in gen]
        lines.append("")
    for label, info in payload.get("books", {}).items():
        lines.append(f"- book {label}: {info}")
    lines += [
        "",
        "| responses | job | engine | time s | peak RSS MiB | rows collected | MiB collected | time vs SQL | "
        "RSS vs SQL | time vs polars mem | RSS vs polars mem | agrees with SQL | note |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in payload["results"]:
        note = r.get("error") or r.get("note") or ""
        mib = r.get("bytes_collected")
        lines.append(
            f"| {r['responses']:,} | {r['job']} | {r['engine']} | {_fmt(r.get('seconds'), '.2f')} | "
            f"{_fmt(r.get('peak_rss_mib'), '.0f')} | {_fmt(r.get('rows_collected'), ',')} | "
            f"{_fmt(mib / 2**20 if mib is not None else None, '.2f')} | {_fmt(r.get('time_vs_sql'), '.2f')} | "
            f"{_fmt(r.get('rss_vs_sql'), '.2f')} | {_fmt(r.get('time_vs_polars_memory'), '.2f')} | "
            f"{_fmt(r.get('rss_vs_polars_memory'), '.2f')} | {r.get('agrees_with_sql', '')} | {note} |"
        )
    big = [r for r in payload["results"] if r.get("queries")]
    if big:
        lines += ["", "What crossed into Python for cxwidgets on lazy tables (queries, the largest three):", ""]
        for r in big:
            q = r["queries"]
            top = "; ".join(f"{w} {n:,} rows / {b / 2**20:.1f} MiB" for w, n, b in q["largest"])
            lines.append(f"- {r['responses']:,} {r['job']} {r['engine']}: {q['count']} queries; {top}")
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        if sys.argv[2] == "write":
            child_write(*sys.argv[3:6])
        else:
            child(*sys.argv[2:6])
        return
    from _harness import dump, machine

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1e6,1e7", help="responses per book, comma separated (1e6,1e7,1e8)")
    ap.add_argument("--dir", default="/tmp/cx-book-{size}", help="book folder; {size} becomes e.g. 1e7")
    ap.add_argument("--jobs", default="nps,bind")
    ap.add_argument("--engines", default="", help="comma separated (default all); duckdb_sql always runs")
    ap.add_argument("--in-memory-max", type=float, default=1e7, help="largest size for pandas / in-memory polars")
    ap.add_argument(
        "--big-rss-mib", type=float, default=4096, help="above 10M, run an engine only if its 10M peak is under this"
    )
    ap.add_argument("--repeat", type=int, default=1, help="fresh processes per measurement (best time, largest peak)")
    ap.add_argument("--force", action="store_true", help="above 10M, run without the 10M guard (the watchdog stays)")
    ap.add_argument("--max-rss-gib", type=float, default=10.0, help="kill a child whose RSS passes this")
    ap.add_argument("--timeout", type=float, default=1800.0, help="kill a child running longer (s)")
    ap.add_argument("--no-generation-memory", action="store_true", help="skip writing 200k / 800k account books")
    ap.add_argument("--out", default=str(HERE / "results" / "bench_scale"))
    ap.add_argument("--markdown-only", action="store_true", help="rewrite <out>.md from <out>.json, run nothing")
    args = ap.parse_args()
    if args.markdown_only:
        Path(args.out + ".md").write_text(markdown(json.loads(Path(args.out + ".json").read_text())))
        return
    sizes = sorted(int(float(s)) for s in args.sizes.split(",") if s)
    jobs = [j for j in args.jobs.split(",") if j]
    engines = [e for e in args.engines.split(",") if e] or None

    out_json = Path(args.out + ".json")
    stored = json.loads(out_json.read_text()) if out_json.exists() else {}
    kept = stored.get("results", [])  # a measurement not rerun stays; a rerun one is replaced
    # the stored 1M and 10M results decide what runs above 10M when they are not rerun
    previous: dict[Any, Any] = {(r["responses"], r["job"], r["engine"]): r for r in stored.get("results", [])}
    payload: dict[str, Any] = {
        "machine": machine(),
        "duckdb_settings": DUCKDB_SETTINGS,
        "bind_baseline_covers": BIND_COVERS,
        "repeat": args.repeat,
        "books": {k: v for k, v in stored.get("books", {}).items() if k not in {size_label(s) for s in sizes}},
        "results": kept,
    }
    if not args.no_generation_memory:
        payload["generation_memory"] = generation_memory(Path(tempfile.gettempdir()))
    elif "generation_memory" in stored:
        payload["generation_memory"] = stored["generation_memory"]
    for responses in sizes:
        label = size_label(responses)
        folder = Path(args.dir.format(size=label))
        book, info = ensure_book(folder, responses)
        info |= {"folder": str(folder), "rows": book.rows}
        payload["books"][label] = info
        print(f"{responses:,} responses ({book.n_accounts:,} accounts): {info}", flush=True)
        rows = measure_size(responses, book, jobs, engines, args, previous)
        payload["results"] = _merge(payload["results"], rows)
        previous |= {(r["responses"], r["job"], r["engine"]): r for r in rows}
        # the per-group check values stay out of the file (the verdict is agrees_with_sql)
        dump(
            str(out_json),
            {**payload, "results": [{k: v for k, v in r.items() if k != "check"} for r in payload["results"]]},
        )
        Path(args.out + ".md").write_text(markdown(payload))
    print()
    print(markdown(payload))


if __name__ == "__main__":
    main()
