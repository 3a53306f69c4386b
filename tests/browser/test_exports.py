"""Every HTML export opened in Chromium (file://, no JupyterLab): names carrying script
(stage, moment, signal, hypothesis) show as literal text and run nothing (issue 11)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cxwidgets.charts import mis_chart, save_chart
from cxwidgets.journey import Journey
from cxwidgets.mis import MISModel
from cxwidgets.widgets import JourneyMap, WeightTuner

ATTACK = "</script><script>window.__pwned=1;alert(1)</script>"
SHOT_DIR = Path(__file__).resolve().parent / "screenshots"


def attacked() -> tuple[Journey, dict[str, str]]:
    j = Journey.template("saas")
    names = {k: f"{k.capitalize()} {ATTACK}" for k in ("stage", "moment", "signal", "hypothesis")}
    j = j.rename_stage("Onboard", names["stage"])
    j = j.rename_moment("Onboarding Kickoff", names["moment"])
    j = j.update_signal(names["moment"], "Onboarding CSAT", name=names["signal"])
    return j.update_moment(names["moment"], hypothesis=names["hypothesis"]), names


def exports(tmp: Path) -> dict[str, tuple[Path, list[str]]]:
    """file -> the names it must show as text."""
    journey, names = attacked()
    model = MISModel(journey)
    wmap = JourneyMap(journey, model, selected_moment=names["moment"])  # the detail panel shows the hypothesis
    out: dict[str, tuple[Path, list[str]]] = {}
    p = tmp / "map.html"
    wmap.to_html(p)
    out["JourneyMap.to_html"] = (p, [names["stage"], names["moment"], names["signal"], names["hypothesis"]])
    tuner = WeightTuner(model, debounce=0)
    p = tuner.save_image(tmp / "stages.html", level="stage")
    out["WeightTuner.save_image stage"] = (p, [names["stage"]])
    p = tuner.save_image(tmp / "moments.html", level="moment")
    out["WeightTuner.save_image moment"] = (p, [names["moment"]])
    rows = [
        {
            "label": names[k],
            "mis": 40.0 + 10 * i,
            "status": "amber",
            "state": "Amber",
            "text": names[k],
            "change": 0,
            "order": i,
        }
        for i, k in enumerate(("signal", "hypothesis"))
    ]
    p = save_chart(mis_chart(rows, "moment", width=500), tmp / "chart.html")
    out["charts.save_chart"] = (p, [names["signal"], names["hypothesis"]])
    return out


def test_html_exports_run_no_script_from_names(page: Any, tmp_path: Path) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    SHOT_DIR.mkdir(exist_ok=True)
    for label, (path, names) in exports(tmp_path).items():
        page.goto(path.as_uri())
        # wait until the page has drawn: the map's cards, or vega's SVG text
        page.wait_for_function(
            "() => document.querySelector('.cxjm-card, #cx-chart svg text') !== null", timeout=30_000
        )
        page.wait_for_timeout(300)
        assert page.evaluate("() => window.__pwned") is None, label
        text = page.evaluate(
            "() => document.body.innerText + ' ' + "
            "[...document.querySelectorAll('svg text')].map(t => t.textContent).join(' ')"
        )
        for name in names:
            # the label may be cut to fit (vega's labelLimit, a card's width): its start is shown as text
            assert name[:30] in text, (label, name)
        scripts = page.evaluate("() => document.querySelectorAll('script').length")
        assert scripts == (2 if label == "JourneyMap.to_html" else 3), (label, scripts)  # none added by a name
        page.screenshot(path=str(SHOT_DIR / f"export-{label.replace(' ', '-').replace('.', '-')}.png"), full_page=True)
    assert dialogs == [] and errors == []


# ---- to_html on every widget (issue 15): one offline page, no script from a name -----------------

XSS = "<img src=x onerror=alert(1)>"
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def xss_model() -> Any:
    """The SaaS model with its data, a moment named ``XSS`` in the journey and in the answers."""
    import polars as pl

    from cxwidgets.datasets import saas

    data = saas(300, seed=1)
    tables = dict(data.tables())
    tables["responses"] = tables["responses"].with_columns(pl.col("moment").replace("Renewal Decision", XSS))
    journey = Journey.template("saas").rename_moment("Renewal Decision", XSS)
    return MISModel(journey, tables), tables


def pages(tmp: Path) -> dict[str, Path]:
    from cxwidgets.widgets import Explorer, ThresholdTuner

    model, tables = xss_model()
    widgets = {
        "JourneyMap": JourneyMap(model.journey, model, selected_moment=XSS),
        "WeightTuner": WeightTuner(model, debounce=0),
        "ThresholdTuner": ThresholdTuner(model, XSS, outcome="churned", accounts=tables["accounts"], by="segment"),
        "Explorer": Explorer(model, outcome="churned", accounts=tables["accounts"]),
    }
    out = {}
    for name, widget in widgets.items():
        out[name] = tmp / f"{name}.html"
        widget.to_html(out[name])
    return out


def test_every_to_html_page_opens_offline_and_runs_no_name(page: Any, tmp_path: Path) -> None:
    import cxwidgets

    blocked: list[str] = []

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(("file:", "data:", "blob:", "http://127.0.0.1")):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    page.route("**/*", route)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    for name, path in pages(tmp_path).items():
        page.goto(path.as_uri())
        page.wait_for_function("() => document.getElementById('cx-footer').textContent.length > 0", timeout=30_000)
        page.wait_for_function(
            "() => [...document.querySelectorAll('img.cx-picture')].every(i => i.complete && i.naturalWidth > 0)",
            timeout=30_000,
        )
        if name in ("JourneyMap", "Explorer"):
            page.locator(".cxjm-card").nth(7).wait_for(timeout=30_000)  # the live map, read-only
        page.wait_for_timeout(300)
        text = page.evaluate("() => document.body.innerText")
        assert XSS in text, name  # in the tables and the journey file, as text
        assert f"with cxwidgets {cxwidgets.__version__}" in text and " UTC " in text, name
        assert "schema_version" in text, name  # the journey file
        imgs = page.evaluate("() => [...document.querySelectorAll('img')].map(i => i.getAttribute('src') || '')")
        assert all(s.startswith("blob:") for s in imgs), (name, imgs)  # no <img src=x> from the name
        assert len(imgs) == {"JourneyMap": 0, "WeightTuner": 1, "ThresholdTuner": 1, "Explorer": 2}[name], name
        headings = page.evaluate("() => [...document.querySelectorAll('h2')].map(h => h.textContent)")
        if name in ("WeightTuner", "Explorer"):
            assert {"MIS charts", "MIS by moment", "MIS by stage", "MIS by segment"} <= set(headings), name
        if name in ("ThresholdTuner", "Explorer"):
            assert any(h.startswith("Bands at green") for h in headings) and "Bins" in headings, name
        if name == "ThresholdTuner":
            assert "Bands by segment" in headings
        if name == "JourneyMap":
            assert "Moment Impact Scores" in headings
        page.screenshot(path=str(DOCS_IMG / f"to_html_{name.lower()}.png"), full_page=False)
    assert dialogs == [] and errors == [] and blocked == []
