"""The static pictures (cxwidgets.static_views): what they draw, checked against the data drawn
(counted, summed and placed by hand here), and user text kept as text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from cxwidgets.journey import Journey
from cxwidgets.static_views import bars_svg, histogram_svg, journey_svg, stack_svgs, svg_size, svg_to_png

XSS = "<img src=x onerror=alert(1)>"
NS = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{NS}text")]


def tags(svg: str) -> set[str]:
    return {el.tag.removeprefix(NS) for el in ET.fromstring(svg).iter()}


def test_map_draws_every_stage_and_moment_as_text_and_no_markup_from_names() -> None:
    j = Journey.template("saas").rename_moment("Advocacy Ask", XSS).rename_stage("Adopt", "</svg><script>x</script>")
    svg = journey_svg(j.model_dump(mode="json"))
    words = texts(svg)
    for stage in j.stage_names():
        assert stage in words
    for moment in j.moment_names():
        assert moment in words
    assert svg.count('class="cx-card"') == 8
    assert tags(svg) <= {"svg", "title", "rect", "text", "g", "line", "polyline", "polygon", "circle"}
    assert "<img" not in svg and "<script" not in svg


def test_map_cards_and_mis_curve_follow_the_scores() -> None:
    j = Journey.template("saas")
    names = j.moment_names()
    statuses = ["green", "amber", "red", "green", "amber", "red", "green", "amber"]
    scores = {n: {"mis": 10.0 * (i + 1), "status": statuses[i], "value_text": f"v{i}"} for i, n in enumerate(names)}
    svg = journey_svg(j.model_dump(mode="json"), scores)
    words = texts(svg)
    for i in range(8):
        assert f"MIS {10 * (i + 1)} · {statuses[i].capitalize()}" in words
        assert f"v{i}" in words
    # the curve: one mark per scored moment, shaped by state (circle green, triangle amber, square red)
    root = ET.fromstring(svg)
    line = next(root.iter(f"{NS}polyline"))
    pts = [tuple(map(float, p.split(","))) for p in line.get("points", "").split()]
    assert len(pts) == 8
    # y falls as MIS rises, linearly: equal steps of 10 points give equal steps in y
    steps = [round(pts[i][1] - pts[i + 1][1], 1) for i in range(7)]
    assert len(set(steps)) == 1 and steps[0] > 0
    assert len(list(root.iter(f"{NS}polygon"))) == statuses.count("amber")
    # x follows the stages left to right
    assert [p[0] for p in pts] == sorted(p[0] for p in pts)


def test_map_draws_each_personas_emotion_curves() -> None:
    data = Journey.template("saas").model_dump(mode="json")
    data["emotions"] = {"Admin": {"Onboarding Kickoff": -1, "Renewal Decision": 2}, "User": {"Advocacy Ask": 1}}
    data["to_be"] = {"Admin": {"Onboarding Kickoff": 1, "Renewal Decision": 2}}
    svg = journey_svg(data)
    words = texts(svg)
    assert {"Admin as-is", "Admin to-be", "User as-is"} <= set(words)
    dashed = [p for p in ET.fromstring(svg).iter(f"{NS}polyline") if p.get("stroke-dasharray")]
    assert len(dashed) == 1  # Admin's to-be; User has one point (no line)
    only_user = journey_svg(data, personas=["User"])
    assert "Admin as-is" not in texts(only_user) and "User as-is" in texts(only_user)


def test_map_without_stages_says_so() -> None:
    assert "No stages yet: add a stage to start mapping." in texts(
        journey_svg(Journey.empty("W").model_dump(mode="json"))
    )


def _band(mid: float, green: float, amber: float, higher: bool) -> str:
    if higher:
        return "green" if mid >= green else "amber" if mid >= amber else "red"
    return "green" if mid <= green else "amber" if mid <= amber else "red"


@settings(max_examples=40, deadline=None)
@given(
    counts=st.lists(st.integers(0, 500), min_size=1, max_size=40),
    cuts=st.tuples(st.integers(0, 40), st.integers(0, 40)),
    higher=st.booleans(),
)
def test_histogram_legend_counts_are_the_bins_summed_by_band(
    counts: list[int], cuts: tuple[int, int], higher: bool
) -> None:
    bins = [{"lo": float(i), "hi": float(i + 1), "n": n} for i, n in enumerate(counts)]
    lo, hi = sorted(cuts)
    green, amber = (float(hi), float(lo)) if higher else (float(lo), float(hi))
    svg = histogram_svg(bins, green, amber, higher_is_better=higher)
    expected = {"green": 0, "amber": 0, "red": 0}
    for i, n in enumerate(counts):
        expected[_band(i + 0.5, green, amber, higher)] += n
    words = " | ".join(texts(svg))
    for band, n in expected.items():
        assert re.search(rf"{band.capitalize()}: [^|]*\({n:,} accounts\)", words), (band, n, words)
    assert sum(expected.values()) == sum(counts)
    rag = {"#2e8540", "#c77700", "#d0312d"}
    bars = [
        r
        for r in ET.fromstring(svg).iter(f"{NS}rect")
        if r.get("fill") in rag and (r.get("width"), r.get("height")) != ("12", "12")
    ]  # not the legend keys
    assert len(bars) == len(counts)
    top = max(counts) or 1
    for bar, n in zip(bars, counts, strict=True):  # heights in proportion to the counts
        assert abs(float(bar.get("height", 0)) - n / top * 170) < 0.01


def test_histogram_says_the_outcome_rate_per_band() -> None:
    bands = {
        "green": {"n": 10, "known": 10, "events": 1, "rate": 0.1},
        "amber": {"n": 5, "known": 4, "events": 2, "rate": 0.5},
        "red": {"n": 0, "known": 0, "events": 0, "rate": None},
        "precision": 0.0,
        "recall": 0.0,
        "lift": None,
    }
    svg = histogram_svg(
        [{"lo": 0, "hi": 50, "n": 0}, {"lo": 50, "hi": 100, "n": 15}], 75, 50, bands=bands, outcome="churned"
    )
    words = texts(svg)
    assert "Green: 75 and above (10 accounts) · churned 10.0% (1 of 10)" in words
    assert "Amber: 50 to below 75 (5 accounts) · churned 50.0% (2 of 4)" in words
    assert "Red: below 50 (0 accounts) · churned: no account with a known outcome" in words
    assert any("lift not defined" in w for w in words)


def test_bars_are_as_long_as_their_mis() -> None:
    rows = [
        {"label": "a", "mis": 100.0, "status": "green"},
        {"label": "b", "mis": 25.0, "status": "red"},
        {"label": "c", "mis": None, "status": None},
    ]
    svg = bars_svg(rows, "MIS by stage", width=420)
    bars = [r for r in ET.fromstring(svg).iter(f"{NS}rect") if r.get("fill") in ("#2e8540", "#d0312d")]
    assert len(bars) == 2
    assert abs(float(bars[0].get("width", 0)) / float(bars[1].get("width", 1)) - 4.0) < 1e-6
    assert "— · Not scored" in texts(svg)


def test_stack_and_png() -> None:
    a, b = bars_svg([], "a", width=300), bars_svg([], "b", width=200)
    down = stack_svgs([a, b], gap=10)
    assert svg_size(down) == (300, svg_size(a)[1] + svg_size(b)[1] + 10)
    png = svg_to_png(down)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == svg_size(down)


def test_map_cards_carry_the_workshop_marks_the_live_map_shows() -> None:
    j = Journey.template("saas").vote("Renewal Decision", 2).comment_on("Advocacy Ask", XSS)
    j = j.add_opportunity("Onboarding Kickoff", "Checklist", customer_value=4, business_value=3, effort=1)
    words = texts(journey_svg(j.model_dump(mode="json")))
    assert "● 2 votes" in words and "◆ 1 opportunity" in words
    assert f"“{XSS}”" in words  # the comment, as text
    assert any(w.startswith("Owner: CX Leadership · SLA ") for w in words)
