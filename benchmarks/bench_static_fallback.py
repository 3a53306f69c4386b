"""The static fallbacks: how long a widget's picture takes to draw and how much it weighs.

Every display of a widget, and every redraw of its picture after a change, draws what it shows
as an SVG in Python (``cxwidgets.static_views``). Contenders for the journey map of the SaaS
template bound to ``cx.datasets.saas(2000, seed=0)`` and for the threshold tuner's histogram,
each in a fresh spawned process (``_harness.measure``), best-of-N wall time:

- ``cx_svg``: the picture a display carries (``journey_svg`` / ``histogram_svg``);
- ``cx_png``: the same rasterised by vl-convert (``save_image("map.png")``);
- ``altair_png``: what an altair user would do for the same picture: an altair chart
  (``charts.journey_chart``, the map export before issue 15, and ``threshold_chart``) rendered
  to PNG by vl-convert, as altair's ``mimetype`` renderer ships beside its vega view.

Bytes: each picture's size, and a ratio to the PNG. Results go to
``benchmarks/results/static_fallback.json``; reported, never asserted.
Run: ``python benchmarks/bench_static_fallback.py``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))
from _harness import dump, machine, measure  # noqa: E402

RESULTS = os.path.join(os.path.dirname(__file__), "results", "static_fallback.json")


def make_map(n: int) -> Any:
    import cxwidgets as cx
    from cxwidgets.widgets import JourneyMap

    model = cx.MISModel(cx.Journey.template("saas"), cx.datasets.saas(n, seed=0))
    m = JourneyMap(model.journey, model)
    return m.journey_spec, m.journey_data, dict(m.scores)


def make_tuner(n: int) -> Any:
    import cxwidgets as cx
    from cxwidgets.widgets import ThresholdTuner

    data = cx.datasets.saas(n, seed=0)
    t = ThresholdTuner(cx.MISModel(cx.Journey.template("saas"), data), outcome="churned", accounts=data.accounts)
    return list(t.bins), t.green, t.amber, dict(t.bands), dict(t.info)


def map_svg(d: Any) -> str:
    from cxwidgets.static_views import journey_svg

    return journey_svg(d[1], d[2])


def map_png(d: Any) -> bytes:
    from cxwidgets.static_views import svg_to_png

    return svg_to_png(map_svg(d))


def map_altair(d: Any) -> bytes:
    import vl_convert as vlc

    from cxwidgets.charts import journey_chart

    return bytes(vlc.vegalite_to_png(journey_chart(d[0], d[2]).to_dict(), scale=1))


def tuner_svg(d: Any) -> str:
    from cxwidgets.static_views import histogram_svg

    bins, green, amber, bands, info = d
    return histogram_svg(bins, green, amber, title=info["label"], axis=info["axis"], bands=bands,
                         outcome=info["outcome"])


def tuner_png(d: Any) -> bytes:
    from cxwidgets.static_views import svg_to_png

    return svg_to_png(tuner_svg(d))


def tuner_altair(d: Any) -> bytes:
    import vl_convert as vlc

    from cxwidgets.widgets.threshold_chart import threshold_chart

    bins, green, amber, _bands, info = d
    chart = threshold_chart(bins, green, amber, title=info["label"], axis=info["axis"])
    return bytes(vlc.vegalite_to_png(chart.to_dict(), scale=1))


def main() -> None:
    n = 2000
    out: dict[str, Any] = {"machine": machine(), "accounts": n, "cases": {}}
    for case, make, fns in (
        ("journey_map", make_map, {"cx_svg": map_svg, "cx_png": map_png, "altair_png": map_altair}),
        ("threshold_tuner", make_tuner, {"cx_svg": tuner_svg, "cx_png": tuner_png, "altair_png": tuner_altair}),
    ):
        data = make(n)
        row: dict[str, Any] = {name: measure(make, (n,), fn, repeat=5) for name, fn in fns.items()}
        for name, fn in fns.items():
            result = fn(data)
            row[name]["bytes"] = len(result.encode() if isinstance(result, str) else result)
        row["ratio_altair_png_vs_cx_svg_time"] = row["altair_png"]["best_s"] / row["cx_svg"]["best_s"]
        row["ratio_cx_svg_vs_altair_png_bytes"] = row["cx_svg"]["bytes"] / row["altair_png"]["bytes"]
        out["cases"][case] = row
        print(case, {k: (v if not isinstance(v, dict) else {kk: round(vv, 4) for kk, vv in v.items()})
                     for k, v in row.items()})
    dump(RESULTS, out)


if __name__ == "__main__":
    main()
