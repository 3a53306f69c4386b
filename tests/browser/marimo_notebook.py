"""A small marimo notebook for tests/browser/test_marimo.py: the journey map, a weight tuner
(wrapped in mo.ui.anywidget, so a cell reading it re-runs when the page moves a slider) and
the Explorer. marimo runs anywidgets but not ipywidgets: every cxwidgets widget is an anywidget.
A cell's last expression is what marimo shows (hence the bare names)."""
# ruff: noqa: B018

import marimo

app = marimo.App()


@app.cell
def _():
    import marimo as mo

    import cxwidgets as cx

    data = cx.datasets.saas(300, seed=0)
    model = cx.MISModel(cx.Journey.template("saas"), data)
    return cx, mo, model


@app.cell
def _(cx, model):
    journey_map = cx.JourneyMap(model.journey, model, mode="view")
    journey_map
    return


@app.cell
def _(cx, mo, model):
    tuner = mo.ui.anywidget(cx.WeightTuner(model, debounce=0))
    tuner
    return (tuner,)


@app.cell
def _(model, tuner):
    _ = tuner.value  # re-run whenever the tuner's state changes in the page
    readout = f"experience weight in the model: {model.category_weights['experience']:.2f}"
    readout
    return


@app.cell
def _(cx, model):
    explorer = cx.Explorer(model, debounce=0)
    explorer
    return


if __name__ == "__main__":
    app.run()
