"""JourneyMap, Python side: drive the widget as its front end does (comm ``update`` messages
setting synced traits, the ``request`` protocol) and check the Python ``Journey``."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import traitlets
from hypothesis import given, settings
from hypothesis import strategies as st

from cxwidgets.journey import Journey, JourneyError
from cxwidgets.widgets import JourneyMap
from cxwidgets.widgets.journey_map import OPS
from tests.widgets.front import Front

XSS = "<img src=x onerror=alert(1)>"


# ---- helpers: talk to the widget the way the front end does -------------------------------------


@pytest.fixture
def saas() -> Journey:
    return Journey.template("saas")


@pytest.fixture
def wmap(saas: Journey) -> JourneyMap:
    return JourneyMap(saas, mode="workshop")


@pytest.fixture
def front(wmap: JourneyMap) -> Front:
    return Front(wmap)


def synced(w: JourneyMap) -> None:
    """The synced trait and the Python Journey say the same thing."""
    assert w.journey_data == w.journey_spec.model_dump(mode="json")
    assert Journey.from_json(json.dumps(w.journey_data)) == w.journey_spec


# ---- construction, repr ---------------------------------------------------------------------------


def test_repr_is_stable_and_has_no_ids(saas: Journey) -> None:
    w = JourneyMap(saas, mode="workshop")
    assert repr(w) == (
        "JourneyMap(journey='SaaS customer journey', stages=6, moments=8, mode='workshop', selected=None)"
    )
    assert repr(JourneyMap(saas, mode="workshop")) == repr(w)
    assert not re.search(r"0x[0-9a-f]+|[0-9a-f]{32}", repr(w))
    w.selected_moment = "Renewal Decision"
    assert repr(w).endswith("selected='Renewal Decision')")
    assert repr(JourneyMap()) == "JourneyMap(journey='New journey', stages=0, moments=0, mode='view', selected=None)"


def test_mimebundle_text_plain_is_the_repr(saas: Journey) -> None:
    w = JourneyMap(saas)
    bundle = w._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data["text/plain"] == repr(w)


def test_constructor_accepts_journey_mapping_path_or_nothing(saas: Journey, tmp_path: Path) -> None:
    assert JourneyMap().journey_spec == Journey.empty()
    assert JourneyMap(saas.model_dump(mode="json")).journey_spec == saas
    saas.save(tmp_path / "j.yaml")
    assert JourneyMap(tmp_path / "j.yaml").journey_spec == saas
    assert JourneyMap(str(tmp_path / "j.yaml")).journey_spec == saas
    with pytest.raises(TypeError, match="journey must be a Journey"):
        JourneyMap(42)  # type: ignore[arg-type]
    with pytest.raises(JourneyError):
        JourneyMap({"schema_version": 1, "name": "x", "stages": [{"name": "A"}, {"name": "A"}]})


def test_traits_and_defaults(saas: Journey) -> None:
    w = JourneyMap(saas)
    names = {"journey_data", "scores", "selected_moment", "mode", "persona", "error", "request", "ack"}
    assert names <= set(w.keys)  # all synced
    assert w.mode == "view" and w.persona is None and w.selected_moment is None
    assert w.scores == {} and w.error == ""
    with pytest.raises(traitlets.TraitError):
        w.mode = "edit"
    w.mode = "workshop"
    assert w.mode == "workshop"
    assert JourneyMap(saas, persona="Admin").persona == "Admin"


def test_esm_and_css_are_files_without_innerhtml_or_cdn() -> None:
    import cxwidgets.widgets.journey_map as jm

    js = re.sub(r"^\s*//.*$", "", jm._ESM, flags=re.M)  # the module the page runs (prelude + widget), code only
    assert "innerHTML" not in js and "outerHTML" not in js and "insertAdjacentHTML" not in js
    assert "document.write" not in js and "eval(" not in js
    assert not re.search(r"^\s*import\s", js, re.M)  # no imports at all, so no CDN
    assert "http://" not in js.replace("http://www.w3.org/2000/svg", "") and "https://" not in js
    assert "export default" in js
    css = jm._CSS  # what the page gets: palette + static/theme.css + the widget's css
    assert "--jp-layout-color1" in css and "--jp-ui-font-color1" in css and "--jp-border-color2" in css
    assert "@import" not in css and "url(" not in css


# ---- edits through the request protocol -------------------------------------------------------


def test_rename_moment(front: Front, wmap: JourneyMap) -> None:
    ack = front.request("rename_moment", old="Demo Or Trial Setup", new="Demo")
    assert ack["ok"] is True and wmap.error == ""
    assert wmap.journey_spec.moment_names()[1] == "Demo"
    assert wmap.journey_spec.stage_of("Demo").name == "Acquire"
    synced(wmap)
    # the new journey went back to the front end, and the request was cleared
    assert front.pushed("journey_data")[-1]["stages"][0]["moments"][1]["name"] == "Demo"
    assert front.pushed("request")[-1] == {}


def test_rename_stage(front: Front, wmap: JourneyMap) -> None:
    front.request("rename_stage", old="Adopt", new="Support")
    assert wmap.journey_spec.stage_names() == ["Acquire", "Onboard", "Support", "Expand", "Renew", "Advocate"]
    synced(wmap)


def test_add_stage_and_moment(front: Front, wmap: JourneyMap) -> None:
    front.request("add_stage", name="Churn", index=5)
    front.request("add_moment", stage="Churn", name="Cancellation call", fields={"owner": "CS", "hypothesis": "Why"})
    front.request("add_moment", stage="Churn", name="Exit survey", index=0)
    j = wmap.journey_spec
    assert j.stage_names()[5] == "Churn"
    assert [m.name for m in j.stage("Churn").moments] == ["Exit survey", "Cancellation call"]
    assert j.moment("Cancellation call").owner == "CS"
    assert wmap.error == ""
    synced(wmap)


def test_move_stage_left_and_right(front: Front, wmap: JourneyMap) -> None:
    front.request("move_stage", name="Onboard", index=0)  # the "←" button
    assert wmap.journey_spec.stage_names()[:2] == ["Onboard", "Acquire"]
    front.request("move_stage", name="Onboard", index=1)  # "→"
    assert wmap.journey_spec.stage_names()[:2] == ["Acquire", "Onboard"]
    synced(wmap)


def test_move_moment_up_down_and_across(front: Front, wmap: JourneyMap) -> None:
    front.request("move_moment", name="Time To First Value", stage="Onboard", index=0)  # "↑"
    assert [m.name for m in wmap.journey_spec.stage("Onboard").moments] == ["Time To First Value", "Onboarding Kickoff"]
    front.request("move_moment", name="Time To First Value", stage="Adopt")  # the stage picker
    assert [m.name for m in wmap.journey_spec.stage("Adopt").moments] == [
        "Support Case Resolution",
        "Time To First Value",
    ]
    synced(wmap)


def test_delete_moment_and_stage(front: Front, wmap: JourneyMap) -> None:
    wmap.selected_moment = "Advocacy Ask"
    front.request("remove_moment", name="Advocacy Ask")
    assert "Advocacy Ask" not in wmap.journey_spec.moment_names()
    assert wmap.selected_moment is None  # a deleted moment cannot stay selected
    front.request("remove_stage", name="Acquire")
    assert wmap.journey_spec.stage_names()[0] == "Onboard"
    assert len(wmap.journey_spec.moment_names()) == 5
    synced(wmap)


def test_update_owner_hypothesis_sla_notes(front: Front, wmap: JourneyMap) -> None:
    front.request(
        "update_moment",
        name="Onboarding Kickoff",
        fields={
            "owner": "Onboarding team",
            "hypothesis": "Kickoff CSAT predicts TTV",
            "owner_sla": "36h",
            "notes": "n",
        },
    )
    m = wmap.journey_spec.moment("Onboarding Kickoff")
    assert (m.owner, m.hypothesis, m.owner_sla, m.notes) == ("Onboarding team", "Kickoff CSAT predicts TTV", "36h", "n")
    front.request("update_moment", name="Onboarding Kickoff", fields={"owner_sla": None})
    assert wmap.journey_spec.moment("Onboarding Kickoff").owner_sla is None
    synced(wmap)


def test_update_thresholds(front: Front, wmap: JourneyMap) -> None:
    front.request("update_moment", name="Renewal Decision", fields={"green": 80, "amber": 60})
    m = wmap.journey_spec.moment("Renewal Decision")
    assert (m.green, m.amber) == (80.0, 60.0)
    front.request("update_signal", moment="Demo Or Trial Setup", signal="Demo CES", fields={"green": 2.5, "amber": 3.5})
    s = wmap.journey_spec.signal("Demo Or Trial Setup", "Demo CES")
    assert (s.green, s.amber) == (2.5, 3.5)
    front.request("update_stage", name="Renew", fields={"green": 85})
    assert wmap.journey_spec.stage("Renew").green == 85.0
    assert wmap.error == ""
    synced(wmap)


def test_emotions_as_is_and_to_be(front: Front, wmap: JourneyMap) -> None:
    front.request("set_emotion", persona="Admin", moment="Onboarding Kickoff", value=-1)
    front.request("set_emotion", persona="Admin", moment="Time To First Value", value=-2)
    front.request("set_emotion", persona="Admin", moment="Time To First Value", value=1, to_be=True)
    j = wmap.journey_spec
    assert j.emotions == {"Admin": {"Onboarding Kickoff": -1.0, "Time To First Value": -2.0}}
    assert j.to_be == {"Admin": {"Time To First Value": 1.0}}
    front.request("set_emotion", persona="Admin", moment="Onboarding Kickoff", value=None)  # "— not set"
    assert wmap.journey_spec.emotions == {"Admin": {"Time To First Value": -2.0}}
    # a renamed moment keeps its emotions
    front.request("rename_moment", old="Time To First Value", new="TTV")
    assert wmap.journey_spec.emotions == {"Admin": {"TTV": -2.0}}
    assert wmap.journey_spec.to_be == {"Admin": {"TTV": 1.0}}
    synced(wmap)


def test_persona_trait_from_the_front_end(front: Front, wmap: JourneyMap) -> None:
    front.update(persona="Executive sponsor")
    assert wmap.persona == "Executive sponsor"


@pytest.mark.parametrize(
    ("op", "args", "words"),
    [
        ("rename_moment", {"old": "Demo Or Trial Setup", "new": "Onboarding Kickoff"}, "two moments are named"),
        ("rename_stage", {"old": "Adopt", "new": "Acquire"}, "two stages are named"),
        ("add_moment", {"stage": "Adopt", "name": "Renewal Decision"}, "two moments are named"),
        ("add_stage", {"name": "   "}, "stage name is empty"),
        ("update_moment", {"name": "Renewal Decision", "fields": {"green": 40, "amber": 60}}, "gates out of order"),
        (
            "update_signal",
            {"moment": "Demo Or Trial Setup", "signal": "Demo CES", "fields": {"green": 3.5, "amber": 2.5}},
            "thresholds out of order",
        ),
        ("update_moment", {"name": "Renewal Decision", "fields": {"owner_sla": "soon"}}, "not a duration"),
        ("update_moment", {"name": "Renewal Decision", "fields": {"green": "high"}}, "green"),
        ("set_emotion", {"persona": "Admin", "moment": "Renewal Decision", "value": 5}, "outside -2..+2"),
        ("set_emotion", {"persona": "Admin", "moment": "Nope", "value": 1}, "unknown moment"),
        ("move_stage", {"name": "Acquire", "index": 9}, "out of range"),
        ("remove_moment", {"name": "Renewal decision"}, "did you mean"),
        ("update_moment", {"name": "Renewal Decision", "fields": {"signals": []}}, "cannot set"),
        ("explode", {}, "unknown request"),
        ("rename_moment", {"old": "Renewal Decision"}, "missing argument"),
    ],
)
def test_invalid_edit_sets_error_and_keeps_journey(
    front: Front, wmap: JourneyMap, op: str, args: dict[str, Any], words: str
) -> None:
    before = wmap.journey_spec
    ack = front.request(op, **args)
    assert ack["ok"] is False
    assert words in wmap.error
    assert ack["error"] == wmap.error
    assert "Traceback" not in wmap.error
    assert wmap.journey_spec == before  # the last good state
    synced(wmap)
    assert front.pushed("error")[-1] == wmap.error
    # the next good edit clears the message
    front.request("update_moment", name="Renewal Decision", fields={"owner": "CS"})
    assert wmap.error == "" and wmap.ack["ok"] is True


def test_malformed_requests_do_not_raise(front: Front, wmap: JourneyMap) -> None:
    before = wmap.journey_spec
    front.update(request={"id": "x", "op": "add_stage", "args": ["not", "a", "mapping"]})
    assert "args must be a mapping" in wmap.error
    front.update(request={"id": "y", "op": "update_moment", "args": {"name": "Renewal Decision", "fields": 3}})
    assert "fields must be a mapping" in wmap.error
    assert wmap.journey_spec == before
    assert wmap.request == {}


def test_apply_from_python_raises_and_keeps_journey(wmap: JourneyMap) -> None:
    before = wmap.journey_spec
    with pytest.raises(JourneyError, match="two moments are named"):
        wmap.edit("rename_moment", old="Demo Or Trial Setup", new="Advocacy Ask")
    assert wmap.journey_spec == before
    new = wmap.edit("rename_moment", old="Demo Or Trial Setup", new="Demo")
    assert wmap.journey_spec is new
    assert set(OPS) >= {
        "add_stage",
        "rename_stage",
        "remove_stage",
        "move_stage",
        "add_moment",
        "rename_moment",
        "remove_moment",
        "move_moment",
        "update_moment",
        "update_signal",
        "set_emotion",
    }


def test_journey_dict_set_directly_is_validated(front: Front, wmap: JourneyMap, saas: Journey) -> None:
    good = saas.rename_stage("Renew", "Retain").model_dump(mode="json")
    front.update(journey_data=good)
    assert wmap.journey_spec.stage_names()[4] == "Retain"
    bad = json.loads(json.dumps(good))
    bad["stages"][0]["moments"][0]["green"] = 10  # below amber 50
    front.update(journey_data=bad)
    assert "gates out of order" in wmap.error
    assert wmap.journey_spec.stage_names()[4] == "Retain"
    assert wmap.journey_data == wmap.journey_spec.model_dump(mode="json")  # reverted
    assert front.pushed("journey_data")[-1] == wmap.journey_data  # and the front end was told


def test_journey_spec_setter(wmap: JourneyMap, saas: Journey) -> None:
    wmap.selected_moment = "Advocacy Ask"
    wmap.journey_spec = saas.remove_moment("Advocacy Ask")
    assert "Advocacy Ask" not in wmap.journey_data["stages"][-1]["moments"]
    assert wmap.selected_moment is None
    with pytest.raises(TypeError):
        wmap.journey_spec = {"name": "x"}  # type: ignore[assignment]


# ---- selection ------------------------------------------------------------------------------


def test_selected_moment_round_trip(front: Front, wmap: JourneyMap) -> None:
    front.update(selected_moment="Onboarding Kickoff")  # a click on the card
    assert wmap.selected_moment == "Onboarding Kickoff"
    front.update(selected_moment=None)  # clicked again
    assert wmap.selected_moment is None
    wmap.selected_moment = "Renewal Decision"  # from Python
    assert front.pushed("selected_moment")[-1] == "Renewal Decision"
    with pytest.raises(traitlets.TraitError, match="unknown moment"):
        wmap.selected_moment = "Renewal decision"
    wmap.selected_moment = ""
    assert wmap.selected_moment is None


def test_selection_follows_a_rename(front: Front, wmap: JourneyMap) -> None:
    front.update(selected_moment="Advocacy Ask")
    front.request("rename_moment", old="Advocacy Ask", new="  Referral ask ")
    assert wmap.selected_moment == "Referral ask"
    front.request("update_moment", name="Referral ask", fields={"name": "Referral"})
    assert wmap.selected_moment == "Referral"
    assert front.pushed("selected_moment")[-1] == "Referral"


def test_selected_moment_in_constructor(saas: Journey) -> None:
    assert JourneyMap(saas, selected_moment="Advocacy Ask").selected_moment == "Advocacy Ask"
    with pytest.raises(traitlets.TraitError):
        JourneyMap(saas, selected_moment="Nope")


# ---- saving, user text, export ----------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_save_then_load_is_equal(front: Front, wmap: JourneyMap, tmp_path: Path, suffix: str) -> None:
    front.request("rename_moment", old="Advocacy Ask", new="Referral ask")
    front.request("set_emotion", persona="Admin", moment="Referral ask", value=2)
    path = wmap.save(tmp_path / f"journey{suffix}")
    assert Journey.load(path) == wmap.journey_spec
    assert [p.name for p in tmp_path.iterdir()] == [f"journey{suffix}"]  # atomic: no temp file left


def test_script_like_name_stays_plain_data(front: Front, wmap: JourneyMap, tmp_path: Path) -> None:
    front.request("rename_moment", old="Advocacy Ask", new=XSS)
    front.request("rename_stage", old="Advocate", new="</script><b>stage</b>")
    front.request("update_moment", name=XSS, fields={"hypothesis": "<script>alert(2)</script>", "owner": "<i>me</i>"})
    assert wmap.error == ""
    assert wmap.journey_data["stages"][-1]["moments"][0]["name"] == XSS
    assert wmap.journey_spec.moment(XSS).hypothesis == "<script>alert(2)</script>"
    wmap.save(tmp_path / "j.yaml")
    assert Journey.load(tmp_path / "j.yaml").moment(XSS).owner == "<i>me</i>"
    wmap.selected_moment = XSS
    assert repr(wmap).endswith(f"selected={XSS!r})")


def test_to_html_is_standalone_and_escapes_script_text(saas: Journey, tmp_path: Path) -> None:
    evil = "</script><script>alert(1)</script><!--"
    j = saas.rename_moment("Advocacy Ask", evil).rename_stage("Advocate", XSS)
    w = JourneyMap(Journey.from_json(json.dumps({**j.model_dump(mode="json"), "name": "A & B </title>"})))
    page = w.to_html(tmp_path / "map.html")
    assert (tmp_path / "map.html").read_text(encoding="utf-8") == page
    # only our two script elements open and close; the names cannot end them or open a comment
    assert page.lower().count("<script") == 2 and page.lower().count("</script") == 2
    assert "<!--" not in page and XSS not in page
    assert "<title>A &amp; B &lt;/title&gt;</title>" in page
    # the embedded JSON gives back the exact names
    payload = re.search(r'<script type="application/json" id="cxjm-data">(.*?)</script>', page, re.S)
    assert payload is not None
    data = json.loads(payload.group(1))
    assert data["state"]["journey_data"]["stages"][-1]["moments"][0]["name"] == evil
    assert data["state"]["journey_data"]["stages"][-1]["name"] == XSS
    assert data["state"]["mode"] == "view"
    # ESM and CSS inlined; nothing fetched from the network
    assert "export default" in data["esm"]
    assert ".cxjm-card" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", page)


# ---- the MIS model ------------------------------------------------------------------------------


class FakeModel:
    def __init__(self, journey: Journey, mis: dict[str, float | None]) -> None:
        self.journey = journey
        self.mis = mis
        self.calls = 0

    def score(self, level: str = "moment") -> pl.DataFrame:
        assert level == "moment"
        self.calls += 1
        rows = [
            {
                "moment": m,
                "mis": v,
                "coverage": 0.5,
                "status": None
                if v is None or math.isnan(v)
                else ("green" if v >= 75 else "amber" if v >= 50 else "red"),
            }
            for m, v in self.mis.items()
        ]
        return pl.DataFrame(
            rows, schema={"moment": pl.String, "mis": pl.Float64, "coverage": pl.Float64, "status": pl.String}
        )


def test_scores_from_a_model_and_refresh(saas: Journey) -> None:
    model = FakeModel(saas, {"Onboarding Kickoff": 80.0, "Renewal Decision": 40.0, "Advocacy Ask": float("nan")})
    w = JourneyMap(model=model)
    assert w.journey_spec == saas  # the model's journey
    assert w.scores["Onboarding Kickoff"]["status"] == "green"
    assert w.scores["Renewal Decision"] == {
        "mis": 40.0,
        "status": "red",
        "coverage": 0.5,
        "n_accounts": None,
        "value": None,
        "value_text": None,
    }
    assert w.scores["Advocacy Ask"]["mis"] is None and w.scores["Advocacy Ask"]["status"] is None
    json.dumps(w.scores, allow_nan=False)  # NaN never reaches the front end
    model.mis["Renewal Decision"] = 60.0
    w.refresh()
    assert w.scores["Renewal Decision"]["status"] == "amber"
    w.model = None
    assert w.scores == {} and w.refresh() == {}


def test_no_model_means_no_scores(saas: Journey) -> None:
    w = JourneyMap(saas, None)
    assert w.scores == {} and w.model is None


def test_with_the_mis_engine(saas: Journey) -> None:
    mis = pytest.importorskip("cxwidgets.mis")
    import cxwidgets as cx

    model = mis.MISModel(saas, cx.datasets.saas(n_accounts=300, seed=1))
    w = JourneyMap(saas, model)
    assert set(w.scores) == set(saas.moment_names())
    row = w.scores["Onboarding Kickoff"]
    assert 0 <= row["mis"] <= 100 and row["status"] in ("green", "amber", "red")
    assert row["value_text"] and "/ 5" in row["value_text"]
    json.dumps(w.scores, allow_nan=False)


# ---- the card's value: the pooled figure with its n, never a mean of the accounts' NPS ----------

_T0 = "2024-03-01T00:00:00+00:00"


def _nps_journey() -> Journey:
    j = Journey.empty("NPS").add_stage("Review").add_moment("Review", "QBR")
    return j.add_signal(
        "QBR", "QBR NPS", category="experience", floor=0, target=50,
        source={"table": "responses", "metric": "nps", "aggregate": "nps", "scale": [0, 10]},
    )


def _nps_data(answers: dict[str, list[int]]) -> dict[str, Any]:
    from datetime import UTC, datetime

    rows = [(a, s) for a, scores in answers.items() for s in scores]
    return {
        "accounts": pl.DataFrame({"account_id": list(answers), "segment": ["smb"] * len(answers)}),
        "responses": pl.DataFrame(
            {
                "account_id": [a for a, _ in rows],
                "moment": ["QBR"] * len(rows),
                "metric": ["nps"] * len(rows),
                "score": [float(s) for _, s in rows],
                "responded_at": [datetime(2024, 3, 1, tzinfo=UTC)] * len(rows),
                "role": ["executive" if i % 2 else "admin" for i in range(len(rows))],
            }
        ),
        "as_of": datetime(2024, 6, 1, tzinfo=UTC),
    }


def test_the_card_shows_the_pooled_nps_of_every_answer_with_its_n() -> None:
    import cxwidgets as cx

    # A: 10, 10, 9 (3 promoters); B: 0 (a detractor); C: 7, 8 (passives). Pooled over the 6
    # answers: (3 - 1) / 6 = +33.3. The accounts' own NPS are +100, -100 and 0: their mean is 0.
    answers = {"A": [10, 10, 9], "B": [0], "C": [7, 8]}
    data = _nps_data(answers)
    model = cx.MISModel(_nps_journey(), data)
    model.set(role_multipliers={"executive": 3.0})  # weighs answers in the MIS, not in the card's figure
    card = JourneyMap(model=model).scores["QBR"]
    assert card["value"] == pytest.approx(100 * (3 - 1) / 6)
    assert card["value_text"] == "NPS +33.3 (n=6)"
    # the same figure as the one NPS rule on the same answers
    assert card["value"] == pytest.approx(cx.metrics.nps_summary(data["responses"])["nps"][0])


@settings(max_examples=25, deadline=None)
@given(st.dictionaries(st.sampled_from("ABCDEFGH"), st.lists(st.integers(0, 10), min_size=1, max_size=6), min_size=1))
def test_the_card_nps_is_the_pooled_nps_for_any_answers(answers: dict[str, list[int]]) -> None:
    import cxwidgets as cx

    model = cx.MISModel(_nps_journey(), _nps_data(answers))
    scores = [s for ss in answers.values() for s in ss]
    p, d = sum(s >= 9 for s in scores), sum(s <= 6 for s in scores)  # plain Python: %promoters - %detractors
    card = JourneyMap(model=model).scores["QBR"]
    assert card["value"] == pytest.approx(100 * (p - d) / len(scores), abs=1e-9)
    assert card["value_text"].endswith(f"(n={len(scores):,})")


def test_per_account_figures_say_they_are_over_accounts() -> None:
    import cxwidgets as cx

    model = cx.MISModel(Journey.template("saas"), cx.datasets.saas(n_accounts=120, seed=2))
    scores = JourneyMap(model=model).scores
    first = scores["First Response To Inquiry"]["value_text"]  # a per-account median of minutes
    assert first.startswith("median ") and first.endswith(" accounts)")
    assert scores["Quarterly Business Review"]["value_text"].startswith("NPS ")
    assert "(n=" in scores["Quarterly Business Review"]["value_text"]


def test_the_core_does_not_import_widget_libraries() -> None:
    """Layering: ``import cxwidgets`` (the core, MIS engine included) loads no widget library;
    the widgets load only when ``cx.JourneyMap`` is first used."""
    import subprocess
    import sys

    code = (
        "import sys, cxwidgets as cx; a = ('anywidget' in sys.modules, 'ipywidgets' in sys.modules); "
        "cx.JourneyMap; print(a, 'anywidget' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "(False, False) True"


# ---- property: any sequence of edits leaves a valid, synced journey ------------------------------

NAMES = st.sampled_from(["A", "B", "C", "Kickoff", "Renewal Decision", "Advocacy Ask", "Acquire", " ", XSS])
EDITS = st.one_of(
    st.tuples(st.just("add_stage"), st.fixed_dictionaries({"name": NAMES})),
    st.tuples(st.just("rename_stage"), st.fixed_dictionaries({"old": NAMES, "new": NAMES})),
    st.tuples(st.just("remove_stage"), st.fixed_dictionaries({"name": NAMES})),
    st.tuples(st.just("move_stage"), st.fixed_dictionaries({"name": NAMES, "index": st.integers(-3, 7)})),
    st.tuples(st.just("add_moment"), st.fixed_dictionaries({"stage": NAMES, "name": NAMES})),
    st.tuples(st.just("rename_moment"), st.fixed_dictionaries({"old": NAMES, "new": NAMES})),
    st.tuples(st.just("remove_moment"), st.fixed_dictionaries({"name": NAMES})),
    st.tuples(
        st.just("move_moment"), st.fixed_dictionaries({"name": NAMES, "stage": NAMES, "index": st.integers(-2, 3)})
    ),
    st.tuples(
        st.just("update_moment"),
        st.fixed_dictionaries(
            {
                "name": NAMES,
                "fields": st.fixed_dictionaries({"green": st.integers(-10, 110), "amber": st.integers(-10, 110)}),
            }
        ),
    ),
    st.tuples(
        st.just("set_emotion"),
        st.fixed_dictionaries(
            {"persona": st.sampled_from(["Admin", "User"]), "moment": NAMES, "value": st.integers(-3, 3)}
        ),
    ),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(EDITS, max_size=12))
def test_any_edit_sequence_keeps_a_valid_synced_journey(edits: list[tuple[str, dict[str, Any]]]) -> None:
    w = JourneyMap(Journey.template("saas"), mode="workshop")
    f = Front(w)
    for op, args in edits:
        before = w.journey_spec
        ack = f.request(op, **args)
        if ack["ok"]:
            assert w.error == ""
        else:
            assert w.error and w.journey_spec == before
        synced(w)


def test_save_image_png_and_svg(tmp_path: Path) -> None:
    import xml.dom.minidom

    import cxwidgets as cx
    from cxwidgets.mis import MISModel

    data = cx.datasets.saas(200, seed=2)
    journey = Journey.template("saas").rename_moment("Advocacy Ask", XSS)
    responses = data.responses.with_columns(pl.col("moment").replace("Advocacy Ask", XSS))
    events = (
        data.events.with_columns(pl.col("moment").replace("Advocacy Ask", XSS))
        if "moment" in data.events.columns
        else data.events
    )
    import dataclasses

    model = MISModel(journey, dataclasses.replace(data, responses=responses, events=events))
    m = JourneyMap(journey, model)
    png = m.save_image(tmp_path / "map.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = m.save_image(tmp_path / "map.svg")
    doc = xml.dom.minidom.parse(str(svg))

    def text_of(node: Any) -> str:
        return node.data if node.nodeType == node.TEXT_NODE else "".join(text_of(c) for c in node.childNodes)

    joined = " ".join(text_of(t) for t in doc.getElementsByTagName("tspan") + doc.getElementsByTagName("text"))
    for stage in journey.stage_names():
        assert stage in joined
    # each card carries its MIS and state in words, as the model has them
    for row in model.score("moment").iter_rows(named=True):
        assert f"MIS {row['mis']:.0f} · {row['status'].capitalize()}" in joined
    assert XSS in joined  # drawn as text: escaped in the SVG, no <img> element
    assert not doc.getElementsByTagName("img")
    with pytest.raises(ValueError, match="png or .svg"):
        m.save_image(tmp_path / "map.html")


# ---- the registries' choices: normalisers, aggregates, templates -----------------------------------


def test_choices_list_the_builtins(saas: Journey) -> None:
    from cxwidgets import normalise, templates
    from cxwidgets.journey import known_aggregates

    w = JourneyMap(saas, mode="workshop")
    assert "choices" in w.keys  # synced
    c = w.choices
    assert {"linear", "percentile", "logistic", "banded"} <= set(c["normalisers"])
    assert {"saas", "retail", "telecom"} <= set(c["templates"])
    assert {"mean", "median", "top2box", "nps"} <= set(c["aggregates"])
    # the same lists the registries hold (read here without plugins.choices)
    assert sorted(c["normalisers"]) == sorted(normalise.NORMALISERS)
    assert sorted(c["templates"]) == sorted(templates.available_templates())
    assert c["aggregates"] == known_aggregates()


def test_refresh_choices_sees_a_new_registration(front: Front, wmap: JourneyMap) -> None:
    from cxwidgets.normalise import NORMALISERS, register_normaliser

    assert "test_map_half" not in wmap.choices["normalisers"]
    register_normaliser("test_map_half")(lambda values, signal: values * 0.0 + 50.0)
    try:
        assert "test_map_half" not in wmap.choices["normalisers"]  # a snapshot until refreshed
        wmap.refresh_choices()
        assert "test_map_half" in wmap.choices["normalisers"]
        assert "test_map_half" in front.pushed("choices")[-1]["normalisers"]  # sent to the front end
    finally:
        del NORMALISERS["test_map_half"]
    wmap.refresh_choices()
    assert "test_map_half" not in wmap.choices["normalisers"]


@pytest.mark.parametrize("name", ["retail", "telecom"])
def test_load_template_replaces_the_journey(front: Front, wmap: JourneyMap, name: str) -> None:
    front.update(selected_moment="Renewal Decision")
    ack = front.request("load_template", name=name)
    assert ack["ok"] is True and wmap.error == ""
    assert wmap.journey_spec == Journey.template(name)
    assert wmap.journey_spec != Journey.template("saas")
    assert wmap.selected_moment is None  # the SaaS moment is gone
    synced(wmap)
    assert front.pushed("journey_data")[-1] == Journey.template(name).model_dump(mode="json")


def test_load_template_into_an_empty_journey() -> None:
    w = JourneyMap(Journey.empty(), mode="workshop")
    f = Front(w)
    assert f.request("load_template", name="saas")["ok"] is True
    assert w.journey_spec.stage_names() == Journey.template("saas").stage_names()


@pytest.mark.parametrize(
    ("name", "words"),
    [("nope", "unknown journey template 'nope'"), ("", "name a journey template"), (3, "name a journey template")],
)
def test_load_template_unknown_keeps_the_journey(front: Front, wmap: JourneyMap, name: Any, words: str) -> None:
    before = wmap.journey_spec
    ack = front.request("load_template", name=name)
    assert ack["ok"] is False and words in wmap.error and "saas" in wmap.error  # it names what exists
    assert wmap.journey_spec == before
    synced(wmap)


def _primary(w: JourneyMap, moment: str) -> Any:
    return w.journey_spec.moment(moment).signals[0]


def test_normaliser_change_lands_in_the_journey(front: Front, wmap: JourneyMap) -> None:
    sig = _primary(wmap, "Renewal Decision")
    assert sig.normaliser is None
    ack = front.request(
        "update_signal", moment="Renewal Decision", signal=sig.name, fields={"normaliser": "percentile"}
    )
    assert ack["ok"] is True
    assert _primary(wmap, "Renewal Decision").normaliser == "percentile"
    # the synced dict says so too (what the front end draws the select from)
    shown = [
        m["signals"][0]["normaliser"]
        for st_ in wmap.journey_data["stages"]
        for m in st_["moments"]
        if m["name"] == "Renewal Decision"
    ]
    assert shown == ["percentile"]
    synced(wmap)
    # back to the default (the front end sends null for "linear (default)")
    front.request("update_signal", moment="Renewal Decision", signal=sig.name, fields={"normaliser": None})
    assert _primary(wmap, "Renewal Decision").normaliser is None
    # everything else about the signal is unchanged
    assert _primary(wmap, "Renewal Decision") == sig


def test_unknown_normaliser_sets_error_and_keeps_journey(front: Front, wmap: JourneyMap) -> None:
    front.request(
        "update_signal",
        moment="Renewal Decision",
        signal=_primary(wmap, "Renewal Decision").name,
        fields={"normaliser": "logistic"},
    )
    before = wmap.journey_spec
    ack = front.request(
        "update_signal",
        moment="Renewal Decision",
        signal=_primary(wmap, "Renewal Decision").name,
        fields={"normaliser": "no_such_normaliser"},
    )
    assert ack["ok"] is False
    assert "unknown normaliser 'no_such_normaliser'" in wmap.error and "percentile" in wmap.error
    assert wmap.journey_spec == before and _primary(wmap, "Renewal Decision").normaliser == "logistic"
    synced(wmap)


def test_aggregate_change_through_the_source(front: Front, wmap: JourneyMap) -> None:
    # the front end sends the whole source with its aggregate changed
    moment = next(
        m
        for m in wmap.journey_spec.moment_names()
        if _primary(wmap, m).source.aggregate == "mean" and _primary(wmap, m).source.scale is not None
    )
    sig = _primary(wmap, moment)
    source = sig.source.model_dump(mode="json")
    ack = front.request(
        "update_signal", moment=moment, signal=sig.name, fields={"source": {**source, "aggregate": "median"}}
    )
    assert ack["ok"] is True
    after = _primary(wmap, moment).source
    assert after.aggregate == "median"
    assert after.model_dump() == {**sig.source.model_dump(), "aggregate": "median"}  # nothing else changed
    synced(wmap)
    # an aggregate the source cannot take (nps needs the 0-10 scale): the journey's message, no change
    before = wmap.journey_spec
    ack = front.request(
        "update_signal", moment=moment, signal=sig.name, fields={"source": {**source, "aggregate": "nps"}}
    )
    assert ack["ok"] is False and "nps" in wmap.error and "scale" in wmap.error
    assert wmap.journey_spec == before
    ack = front.request(
        "update_signal", moment=moment, signal=sig.name, fields={"source": {**source, "aggregate": "bogus"}}
    )
    assert ack["ok"] is False and "unknown aggregate 'bogus'" in wmap.error
    assert wmap.journey_spec == before


def test_the_workshop_form_has_the_choice_controls_in_its_code() -> None:
    """The browser tests click them; here: the selects exist and use option text, not HTML."""
    import cxwidgets.widgets.journey_map as jm

    js = jm._ESM_PATH.read_text()
    for cls in ("cxjm-f-normaliser", "cxjm-f-aggregate", "cxjm-template-select"):
        assert cls in js
    assert '"load_template"' in js and '"choices"' in js and "linear (default)" in js
