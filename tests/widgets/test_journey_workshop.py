"""The workshop tools of the journey map: dot votes (totals only), opportunities with their
scores and the value x effort quadrants, a comment per moment, at most five personas, and the
presentation mode; each lands in the journey file and round-trips (load -> edit -> save -> load).

Expected values come from plain Python (a Counter of the votes cast, the quadrant rule worked by
hand), never from the code under test."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxwidgets.journey import MAX_PERSONAS, Journey, JourneyError
from cxwidgets.widgets import JourneyMap
from tests.widgets.front import Front

XSS = "<img src=x onerror=alert(1)>"
SAAS_MOMENTS = Journey.template("saas").moment_names()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SAAS_MOMENTS), st.integers(1, 3)), max_size=12))
def test_vote_totals_are_the_votes_cast(cast: list[tuple[str, int]]) -> None:
    j = Journey.template("saas")
    for moment, n in cast:
        j = j.vote(moment, n)
    expected = Counter()
    for moment, n in cast:
        expected[moment] += n
    assert j.vote_totals() == {m: expected.get(m, 0) for m in SAAS_MOMENTS}
    # anonymous: the file holds a total per moment and nothing about who voted
    again = Journey.from_yaml(j.to_yaml())
    assert again.vote_totals() == j.vote_totals()
    assert "voter" not in j.to_yaml() and "participant:" not in j.to_yaml()


def test_votes_cannot_go_below_zero_and_clear() -> None:
    j = Journey.template("saas").vote("Advocacy Ask", 2)
    with pytest.raises(ValueError, match=r"has 2 votes; 3 cannot be taken back \(take back at most 2\)"):
        j.vote("Advocacy Ask", -3)
    assert j.vote("Advocacy Ask", -2).vote_totals()["Advocacy Ask"] == 0
    assert set(j.clear_votes().vote_totals().values()) == {0}
    with pytest.raises(JourneyError, match="votes_per_participant 0 is outside 1..20"):
        Journey.from_yaml("schema_version: 1\nname: X\nvotes_per_participant: 0\n")


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("effort", 7, "effort 7 is outside 1..5; score effort from 1 (least effort) to 5 (most effort)"),
        ("effort", 0, "effort 0 is outside 1..5"),
        ("customer_value", 2.5, "customer_value must be a whole number from 1 to 5, got 2.5"),
        ("business_value", True, "business_value must be a whole number from 1 to 5"),
        ("business_value", "4", "business_value must be a whole number from 1 to 5"),
    ],
)
def test_opportunity_scores_are_checked_naming_the_field(field: str, value: object, words: str) -> None:
    with pytest.raises(JourneyError) as err:
        Journey.template("saas").add_opportunity("Onboarding Kickoff", "Checklist", **{field: value})  # type: ignore[arg-type]
    problem = err.value.problems[0]
    assert problem.startswith(f"stage 'Onboard' > moment 'Onboarding Kickoff' > opportunity 'Checklist' > {field}: ")
    assert words in problem


# value = mean of customer and business value; the middle of 1..5 is 3; worked by hand
@pytest.mark.parametrize(
    ("cv", "bv", "effort", "value", "quadrant"),
    [(5, 4, 2, 4.5, "quick win"), (4, 4, 5, 4.0, "big bet"), (1, 3, 1, 2.0, "fill-in"), (2, 2, 4, 2.0, "money pit"),
     (3, 3, 3, 3.0, "fill-in"), (4, 3, 3, 3.5, "quick win")],
)
def test_value_and_quadrant(cv: int, bv: int, effort: int, value: float, quadrant: str) -> None:
    j = Journey.template("saas").add_opportunity(
        "Advocacy Ask", "O", customer_value=cv, business_value=bv, effort=effort
    )
    row = j.opportunity_table()[0]
    assert (row.stage, row.moment, row.value, row.quadrant) == ("Advocate", "Advocacy Ask", value, quadrant)


def test_opportunity_titles_unique_within_a_moment_and_edits() -> None:
    j = Journey.template("saas").add_opportunity("Advocacy Ask", "Referral bonus")
    with pytest.raises(JourneyError, match="two opportunities are titled 'Referral bonus'"):
        j.add_opportunity("Advocacy Ask", "Referral bonus")
    j2 = j.update_opportunity("Advocacy Ask", "Referral bonus", title="Bonus", effort=1)
    assert [(o.title, o.effort) for o in j2.moment("Advocacy Ask").opportunities] == [("Bonus", 1)]
    with pytest.raises(KeyError, match=r"has no opportunity 'Referal bonus' \(did you mean 'Referral bonus'\?\)"):
        j.remove_opportunity("Advocacy Ask", "Referal bonus")
    with pytest.raises(ValueError, match=r"unknown field 'efort' \(did you mean 'effort'\?\)"):
        j.update_opportunity("Advocacy Ask", "Referral bonus", efort=2)


def test_five_personas_and_a_sixth_is_a_clear_error() -> None:
    j = Journey.template("saas")
    names = [f"P{i}" for i in range(1, MAX_PERSONAS + 1)]
    for i, p in enumerate(names):
        j = j.with_emotions(p, {"Advocacy Ask": -2 + i}).with_emotions(p, {"Advocacy Ask": 2}, to_be=True)
    assert j.personas() == names and MAX_PERSONAS == 5
    with pytest.raises(JourneyError) as err:
        j.with_emotions("P6", {"Advocacy Ask": 0})
    assert "6 personas" in str(err.value) and "at most 5 personas" in str(err.value)
    assert "with_emotions(persona, None)" in str(err.value)
    # the same rule for a file
    text = "schema_version: 1\nname: X\nemotions: {" + ", ".join(f"P{i}: {{}}" for i in range(6)) + "}\n"
    with pytest.raises(JourneyError, match="at most 5 personas"):
        Journey.from_yaml(text)


def _workshop(tmp_path: Path) -> Journey:
    """A journey file edited on the map through the request protocol (as a browser sends it)."""
    path = tmp_path / "room.yaml"
    Journey.template("saas").save(path)
    m = JourneyMap(path, mode="workshop")
    front = Front(m)
    front.request("vote", moment="Renewal Decision")
    front.request("vote", moment="Renewal Decision", votes=2)
    front.request("vote", moment="Advocacy Ask")
    front.request("set_votes_per_participant", votes=4)
    front.request("add_opportunity", moment="Advocacy Ask", title=XSS,
                  fields={"customer_value": 5, "business_value": 2, "effort": 1})
    front.request("add_opportunity", moment="Onboarding Kickoff", title="Checklist")
    front.request("update_opportunity", moment="Onboarding Kickoff", title="Checklist", fields={"effort": 5})
    front.request("update_moment", name="Advocacy Ask", fields={"comment": XSS})
    for i in range(1, 6):
        front.request("set_emotion", persona=f"P{i}", moment="Advocacy Ask", value=1)
        front.request("set_emotion", persona=f"P{i}", moment="Advocacy Ask", value=-1, to_be=True)
    assert m.error == ""
    m.save(path)
    return m.journey_spec


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_workshop_round_trips_through_the_file(tmp_path: Path, suffix: str) -> None:
    edited = _workshop(tmp_path)
    loaded = Journey.load(tmp_path / "room.yaml")
    assert loaded == edited
    assert loaded.vote_totals()["Renewal Decision"] == 3 and loaded.vote_totals()["Advocacy Ask"] == 1
    assert loaded.votes_per_participant == 4
    ask = loaded.moment("Advocacy Ask")
    assert ask.comment == XSS and ask.opportunities[0].title == XSS
    assert [(o.customer_value, o.business_value, o.effort) for o in ask.opportunities] == [(5, 2, 1)]
    assert loaded.moment("Onboarding Kickoff").opportunities[0].effort == 5
    assert loaded.personas() == ["P1", "P2", "P3", "P4", "P5"]
    assert loaded.to_be["P3"]["Advocacy Ask"] == -1.0
    other = tmp_path / f"again{suffix}"
    loaded.save(other)
    assert Journey.load(other) == edited


def test_sixth_persona_on_the_map_is_an_error_not_an_edit(tmp_path: Path) -> None:
    m = JourneyMap(_workshop(tmp_path), mode="workshop")
    before = m.journey_spec
    args = {"persona": "P6", "moment": "Advocacy Ask", "value": 0}
    Front(m).update(request={"id": "x", "op": "set_emotion", "args": args})
    assert "at most 5 personas" in m.error
    assert m.journey_spec == before


def test_a_journey_without_workshop_writes_the_file_it_always_did() -> None:
    text = Journey.template("saas").to_yaml()
    for key in ("votes:", "comment:", "opportunities:", "votes_per_participant:"):
        assert key not in text


def test_presenting_trait(tmp_path: Path) -> None:
    m = JourneyMap(Journey.template("saas"), mode="workshop", presenting=True)
    assert m.presenting is True and m.mode == "workshop"
    Front(m).update(presenting=False)  # the map's "Exit presentation" button
    assert m.presenting is False
