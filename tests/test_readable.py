"""cx.readable: a summary shown as a formatted great_tables table, the frame kept at full precision.

Expectations are worked by hand from the numbers (NPS 21.858864 -> "+21.9", a share 0.767128 ->
"76.7%", n 12345 -> "12,345", an interval 18.2..24.9 -> "18.2 to 24.9") and read from the HTML
the table renders (``as_raw_html()``), cell by cell.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys

import polars as pl
import pytest

import cxwidgets as cx
from cxwidgets.formatting import ROLES, readable, role_of

DASH = "\u2014"
MINUS = "\u2212"


def cells(html: str) -> dict[str, list[str]]:
    """The text of each body cell by column name: the column headings' ids (``<table id>-<column>``,
    or the bare column in older great_tables) matched to the cells of each body row in order."""
    table_id = re.findall(r'<div id="([^"]+)"', html)[0]
    columns = [c.removeprefix(f"{table_id}-") for c in re.findall(r'<th[^>]*scope="col"[^>]*id="([^"]*)"', html)]
    body = html[html.index("<tbody") : html.index("</tbody>")]
    out: dict[str, list[str]] = {c: [] for c in columns}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        texts = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        assert len(texts) == len(columns), (texts, columns)
        for column, text in zip(columns, texts):
            out[column].append(text)
    return out


def headings(html: str) -> list[str]:
    """The column headings, in order (hidden columns are not in the HTML)."""
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r'<th[^>]*scope="col"[^>]*>(.*?)</th>', html, re.S)]


def html_of(frame: object, **options: object) -> str:
    return readable(frame, **options).as_raw_html()  # type: ignore[arg-type]


# ---- hand-worked summaries --------------------------------------------------------------------


def test_the_issues_numbers_read_as_a_report() -> None:
    frame = pl.DataFrame(
        {
            "moment": ["Onboarding"],
            "n": [12345],
            "n_missing": [3],
            "promoters": [0.767128],
            "passives": [0.0],
            "detractors": [0.548264],
            "nps": [21.858864],
            "nps_low": [18.2049],
            "nps_high": [24.9451],
            "margin": [3.3701],
        }
    )
    html = html_of(frame)
    got = cells(html)
    assert got["nps"] == ["+21.9"]
    assert got["promoters"] == ["76.7%"]
    assert got["passives"] == ["0.0%"]
    assert got["detractors"] == ["54.8%"]
    assert got["n"] == ["12,345"]
    assert got["n_missing"] == ["3"]
    assert got["nps_interval"] == ["18.2 to 24.9"]
    assert got["margin"] == ["\u00b13.4"]
    # the two bounds are one "95% interval" column, after the estimate; the originals are hidden
    assert headings(html) == [
        "moment",
        "n",
        "n_missing",
        "promoters",
        "passives",
        "detractors",
        "nps",
        "95% interval",
        "margin",
    ]
    assert "nps_low" not in got and "nps_high" not in got


def test_nps_summary_of_a_small_frame() -> None:
    # a: 10, 9, 7, 3 -> 2 promoters, 1 passive, 1 detractor of 4: NPS +25, interval -44.16..72.73,
    # margin 58.45; b: 10, 0 -> NPS 0 (no sign), interval -73.34..73.34
    df = pl.DataFrame({"moment": ["a"] * 4 + ["b"] * 2, "score": [10, 9, 7, 3, 10, 0]})
    got = cells(html_of(cx.metrics.nps_summary(df, by="moment")))
    assert got["moment"] == ["a", "b"]
    assert got["n"] == ["4", "2"]
    assert got["promoters"] == ["50.0%", "50.0%"]
    assert got["passives"] == ["25.0%", "0.0%"]
    assert got["detractors"] == ["25.0%", "50.0%"]
    assert got["nps"] == ["+25.0", "0.0"]
    assert got["nps_interval"] == [f"{MINUS}44.2 to 72.7", f"{MINUS}73.3 to 73.3"]
    assert got["margin"] == ["\u00b158.4", "\u00b173.3"]


def test_csat_summary_top2box_and_mean() -> None:
    # 5, 4, 3, 1 on 1-5: 2 of 4 in the top two boxes (50%), Wilson 95% interval
    # 0.5 -/+ 1.96 * sqrt(0.0625 + 3.8415 / 64) / 1.9604 = 0.5 -/+ 0.3500 -> 15.0% to 85.0%; mean 3.25
    df = pl.DataFrame({"score": [5, 4, 3, 1]})
    got = cells(html_of(cx.metrics.csat_summary(df)))
    assert got["csat"] == ["50.0%"]
    assert got["csat_interval"] == ["15.0% to 85.0%"]
    assert got["mean"] == ["3.25"]
    # method="mean": csat is the mean (3.25, sd 1.7078), its t interval clipped to the scale: 1 to 5
    got = cells(html_of(cx.metrics.csat_summary(df, method="mean")))
    assert got["csat"] == ["3.25"]
    assert got["csat_interval"] == ["1.00 to 5.00"]
    assert got["sd"] == ["1.71"]


def test_a_share_interval_reads_as_percentages() -> None:
    frame = pl.DataFrame({"n": [1000], "csat": [0.44], "csat_low": [0.41], "csat_high": [0.4731], "mean": [3.9]})
    assert cells(html_of(frame))["csat_interval"] == ["41.0% to 47.3%"]


def test_rates_times_and_the_mis() -> None:
    accounts = pl.DataFrame({"segment": ["a", "a", "a", "b"], "churned": [True, False, False, False]})
    got = cells(html_of(cx.metrics.churn_summary(accounts, by="segment")))
    assert got["churn_rate"] == ["33.3%", "0.0%"]
    assert got["lost"] == ["1", "0"]
    # a user's rate name reads as a share through the "*_rate" pattern
    renewals = pl.DataFrame({"renewed": [True, True, False]})
    got = cells(html_of(cx.metrics.rate_summary(renewals, "renewed", name="renewal_rate")))
    assert got["renewal_rate"] == ["66.7%"]
    assert got["renewal_rate_interval"] == ["20.8% to 93.9%"]  # Wilson 0.2077..0.9385
    times = pl.DataFrame({"n": [3], "n_open": [1], "median": [10.04], "p90": [12.0], "mean": [10.456]})
    got = cells(html_of(times))
    assert (got["median"], got["p90"], got["mean"]) == (["10.0"], ["12.0"], ["10.5"])  # a time's mean: a duration
    mis = pl.DataFrame(
        {
            "moment": ["Kickoff"],
            "mis": [61.546926],
            "coverage": [0.630097],
            "n_accounts": [1200],
            "weight": [1.0],
            "green": [75.0],
            "amber": [50.0],
            "status": ["amber"],
        }
    )
    got = cells(html_of(mis))
    assert got["mis"] == ["61.5"] and got["coverage"] == ["63.0%"] and got["n_accounts"] == ["1,200"]
    assert got["weight"] == ["1.00"] and got["green"] == ["75.0"] and got["status"] == ["amber"]
    got = cells(html_of(pl.DataFrame({"signal": ["CSAT"], "score": [61.55], "contribution": [6.154693]})))
    assert got["contribution"] == ["+6.2"] and got["score"] == ["61.5"]


# ---- columns the table does not know, nulls, options ---------------------------------------------


def test_unknown_columns_still_read_sanely() -> None:
    frame = pl.DataFrame(
        {
            "region": ["North", "South"],
            "tenure_months": [12.3456, 1500.5],  # decimals: two places
            "tiny": [0.001234, 0.5],  # all below 1: three significant digits
            "year": [2025, 2026],  # a whole number may be a year or an id: as it is
            "big": [12345678, 2],
            "vip": [True, False],
            "day": [dt.date(2025, 1, 2), dt.date(2025, 1, 3)],
            "nps": [5.0, -3.04],
        }
    )
    got = cells(html_of(frame))
    assert got["region"] == ["North", "South"]
    assert got["tenure_months"] == ["12.35", "1,500.50"]
    assert got["tiny"] == ["0.00123", "0.500"]
    assert got["year"] == ["2025", "2026"]
    assert got["big"] == ["12345678", "2"]
    assert got["vip"] == ["True", "False"]
    assert got["day"] == ["2025-01-02", "2025-01-03"]
    assert got["nps"] == ["+5.0", f"{MINUS}3.0"]


def test_nulls_and_nan_show_as_an_em_dash() -> None:
    frame = pl.DataFrame(
        {
            "moment": ["a", None],
            "n": [4, 0],
            "promoters": [0.5, None],
            "nps": [25.0, None],
            "nps_low": [-44.16, None],
            "nps_high": [72.73, 10.0],  # one bound missing: no interval
            "extra": [float("nan"), 1.0],
        }
    )
    got = cells(html_of(frame))
    assert got["moment"] == ["a", DASH]
    assert got["promoters"] == ["50.0%", DASH]
    assert got["nps"] == ["+25.0", DASH]
    assert got["nps_interval"] == [f"{MINUS}44.2 to 72.7", DASH]
    assert got["extra"] == [DASH, "1.00"]


def test_decimals_for_all_numbers_or_by_column() -> None:
    frame = pl.DataFrame({"n": [12345], "nps": [21.858864], "nps_low": [18.2], "nps_high": [24.9], "csat": [0.767128]})
    got = cells(html_of(frame, decimals=0))
    assert (got["n"], got["nps"], got["nps_interval"], got["csat"]) == (["12,345"], ["+22"], ["18 to 25"], ["77%"])
    got = cells(html_of(frame, decimals={"nps": 2}))
    assert (got["nps"], got["nps_interval"], got["csat"]) == (["+21.86"], ["18.20 to 24.90"], ["76.7%"])
    with pytest.raises(ValueError, match="does not have"):
        readable(frame, decimals={"npss": 1})
    with pytest.raises(ValueError, match="whole number"):
        readable(frame, decimals=-1)


def test_title_and_interval_label() -> None:
    frame = pl.DataFrame({"nps": [1.0], "nps_low": [0.0], "nps_high": [2.0]})
    html = html_of(frame, title="NPS by moment", interval_label="90% interval")
    assert "NPS by moment" in html
    assert headings(html) == ["nps", "90% interval"]
    two = pl.DataFrame(
        {
            "csat": [0.5],
            "csat_low": [0.4],
            "csat_high": [0.6],
            "top_box": [0.3],
            "top_box_low": [0.2],
            "top_box_high": [0.4],
        }
    )
    assert headings(html_of(two)) == ["csat", "csat 95% interval", "top_box", "top_box 95% interval"]


# ---- safety, inputs, determinism ----------------------------------------------------------------


def test_text_is_escaped_and_nothing_is_loaded_from_the_network() -> None:
    # great_tables escapes unformatted body cells from 1.1.0 on (1.0.0 writes them as raw HTML):
    # the floor in pyproject.toml; a null in the same column (sub_missing) must not change that
    frame = pl.DataFrame(
        {
            "moment": ["<script>alert(1)</script>", None],
            "<i>col</i>": ["a", "b"],
            "nps": [10.0, None],
            "nps_low": [1.0, None],
            "nps_high": [2.0, None],
        }
    )
    table = readable(frame, title="<b>bold</b> & <img src=x onerror=alert(2)>", interval_label="<u>95%</u>")
    for html in (table.as_raw_html(), table._repr_html_()):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script" not in html.lower()
        assert "<img" not in html and "&lt;b&gt;bold&lt;/b&gt; &amp;" in html
        assert "<i>" not in html and "<u>" not in html and "&lt;u&gt;95%&lt;/u&gt;" in html
        assert re.search(r"https?://", html) is None, "the table loads something from the network"
        assert "<link" not in html and "@import" not in html
        assert re.search(r"<[^>]*\bsrc=", html) is None  # no tag loads a source (the title's text may say src=)


def test_the_frame_is_never_modified() -> None:
    frame = pl.DataFrame({"moment": ["a"], "nps": [21.858864], "nps_low": [18.2], "nps_high": [24.9]})
    before = frame.clone()
    readable(frame, decimals={"nps": 0})
    assert frame.equals(before) and frame.columns == before.columns and frame.schema == before.schema
    pd = pytest.importorskip("pandas")
    pdf = pd.DataFrame({"moment": ["a", "b"], "nps": [21.858864, float("nan")], "n": [12345, 2]})
    copy = pdf.copy(deep=True)
    got = cells(readable(pdf).as_raw_html())
    assert got["nps"] == ["+21.9", DASH] and got["n"] == ["12,345", "2"]
    assert pdf.equals(copy) and list(pdf.dtypes) == list(copy.dtypes)


def test_other_frames_are_accepted() -> None:
    assert cells(html_of({"n": [12345], "nps": [21.858864]}))["nps"] == ["+21.9"]
    assert cells(html_of(pl.LazyFrame({"n": [12345]})))["n"] == ["12,345"]
    with pytest.raises(cx.CXDataError):
        readable([1, 2, 3])


def test_two_renders_are_identical_and_the_id_is_fixed() -> None:
    frame = pl.DataFrame({"moment": ["a", "b"], "nps": [21.858864, -3.0], "n": [12345, 7]})
    first, second = html_of(frame), html_of(frame)
    assert first == second
    assert readable(frame)._repr_html_() == readable(frame)._repr_html_()
    code = (
        "import json, polars as pl, cxwidgets as cx\n"
        "f = pl.DataFrame({'moment': ['a', 'b'], 'nps': [21.858864, -3.0], 'n': [12345, 7]})\n"
        "print(json.dumps(cx.readable(f).as_raw_html()))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == first  # another interpreter: the same HTML
    assert re.findall(r'<div id="([^"]+)"', first) != re.findall(r'<div id="([^"]+)"', html_of(frame.head(1)))
    assert '<div id="summary-1"' in html_of(frame, table_id="summary-1")


def test_cx_readable_is_the_function_whichever_is_imported_first() -> None:
    code = (
        "import json, sys, polars as pl\n"
        "import cxwidgets.formatting\n"  # the submodule first: cx.readable is still the function
        "import cxwidgets as cx\n"
        "html = cx.readable(pl.DataFrame({'nps': [1.0]})).as_raw_html()\n"
        "print(json.dumps(['+1.0' in html, 'great_tables' in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [True, True]
    assert "readable" in cx.__all__
    assert cells(cx.readable(pl.DataFrame({"nps": [1.0]})).as_raw_html())["nps"] == ["+1.0"]


def test_great_tables_loads_only_when_a_table_is_made() -> None:
    code = "import json, sys, cxwidgets.formatting\nprint(json.dumps('great_tables' in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) is False


# ---- the table knows what the summaries produce ------------------------------------------------------


def _summaries() -> dict[str, pl.DataFrame]:
    data = cx.datasets.saas(n_accounts=200, seed=0)
    r, t, a = data.responses, data.tickets, data.accounts
    model = cx.MISModel(cx.Journey.template("saas"), data)
    m = cx.metrics
    return {
        "nps_summary": m.nps_summary(r, by="moment"),
        "csat_summary": m.csat_summary(r, by="moment"),
        "csat_summary mean": m.csat_summary(r, by="moment", method="mean"),
        "psat_summary": m.psat_summary(pl.DataFrame({"feature": ["export", "search"], "score": [5, 2]}), by="feature"),
        "ces_summary": m.ces_summary(r, by="moment"),
        "mean_summary": m.mean_summary(r, "score", by="moment"),
        "churn_summary": m.churn_summary(a, by="segment"),
        "retention_summary": m.retention_summary(a, by="segment"),
        "rate_summary": m.rate_summary(a, "renewed", by="segment"),
        "response_rate_summary": m.response_rate_summary(invited=400, responded=92),
        "promoter_activation_summary": m.promoter_activation_summary(
            r.filter(pl.col("metric") == "nps").with_columns(referral_made=pl.col("score") == 10)
        ),
        "first_response_summary": m.first_response_summary(t, by="priority", sla=8),
        "resolution_summary": m.resolution_summary(t, sla=48),
        "ttv_summary": m.ttv_summary(a, data.events, milestone=data.events["event"][0]),
        "MISModel.score": model.score("moment"),
        "MISModel.score journey": model.score("journey", by="segment"),
        "MISModel.contributions": model.contributions("stage"),
        "MISModel.gates": model.gates(),
    }


def test_every_number_a_summary_returns_has_a_role() -> None:
    unknown = {
        name: [c for c, dtype in frame.schema.items() if dtype.is_numeric() and role_of(c, frame.columns) is None]
        for name, frame in _summaries().items()
    }
    assert {k: v for k, v in unknown.items() if v} == {}


def test_the_roles_are_the_known_ones() -> None:
    roles = {v for v in ROLES.values() if isinstance(v, str)}
    roles |= {role for v in ROLES.values() if isinstance(v, tuple) for role in (v[0], v[2])}
    assert roles == {"signed", "points", "margin", "share", "count", "duration", "mean"}
    assert role_of("mean", ["n", "median", "mean"]) == "duration" and role_of("mean", ["n", "mean", "sd"]) == "mean"
