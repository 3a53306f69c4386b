"""A journey file a facilitator wrote by hand keeps its comments, key order and quoting through
load, edit and save (ruamel.yaml's round trip): byte for byte, except the lines the edit changed.
The expected text is the hand-written file with those lines replaced by hand."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxwidgets.journey import Journey, JourneyError
from cxwidgets.widgets import JourneyMap
from tests.widgets.front import Front

HAND = """\
# Our room's journey: written by hand before the workshop.
# Keep this header!
name: "Room journey"   # the title on the projector
schema_version: 1
description: Drafted on the train
stages:
  # Acquire comes first
  - moments:
      - name: First call    # who picks up?
        owner: 'Sales'
        owner_sla: 1d
        signals:
          - name: Call CES
            category: experience
            floor: 7
            target: 1
            source: {table: responses, metric: ces, scale: [1, 7]}
            green: 2
            amber: 3
      - name: Demo
        hypothesis: A good demo sells itself
    name: Acquire
  - name: Onboard
    moments:
      - name: Kickoff   # the big one
        owner: Implementation
emotions:
  Admin:
    First call: -1    # grumpy
    Kickoff: 1
"""


def _changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    """(old line, new line) pairs that differ, from a line diff (plain difflib)."""
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag != "equal":
            out.append(("".join(a[i1:i2]), "".join(b[j1:j2])))
    return out


def test_rename_a_moment_changes_only_its_lines(tmp_path: Path) -> None:
    path = tmp_path / "room.yaml"
    path.write_text(HAND, encoding="utf-8")
    j = Journey.load(path).rename_moment("First call", "First contact")
    j.save(path)
    after = path.read_text(encoding="utf-8")
    # every other byte as written; the two lines that named the moment name the new one, each
    # with its comment kept (ruamel keeps a comment's column while it fits, else one space)
    assert _changed_lines(HAND, after) == [
        ("      - name: First call    # who picks up?\n", "      - name: First contact # who picks up?\n"),
        ("    First call: -1    # grumpy\n", "    First contact: -1 # grumpy\n"),
    ]
    assert Journey.load(path) == j


def test_edits_on_the_map_keep_the_file(tmp_path: Path) -> None:
    """load -> edits on the map (an owner, a vote, a comment) -> save -> load: equal, and the hand
    written layout, comments and key order kept; only the new values' lines differ."""
    path = tmp_path / "room.yaml"
    path.write_text(HAND, encoding="utf-8")
    m = JourneyMap(path, mode="workshop")
    front = Front(m)
    front.request("update_moment", name="Demo", fields={"owner": "Sales Engineering"})
    front.request("vote", moment="Kickoff", votes=2)
    front.request("update_moment", name="Kickoff", fields={"comment": "Book it in week 1"})
    assert m.error == ""
    m.save(path)
    after = path.read_text(encoding="utf-8")
    assert Journey.load(path) == m.journey_spec
    assert after.startswith("# Our room's journey: written by hand before the workshop.\n# Keep this header!\n")
    assert 'name: "Room journey"   # the title on the projector\nschema_version: 1\n' in after
    assert "source: {table: responses, metric: ces, scale: [1, 7]}" in after
    assert "owner: 'Sales'" in after and "    First call: -1    # grumpy\n" in after
    added = [new for old, new in _changed_lines(HAND, after)]
    assert added == [
        "        owner: Sales Engineering\n",
        "        votes: 2\n        comment: Book it in week 1\n",
    ]
    # no default filled in: the file says only what its author (and the room) said
    for key in ("notes:", "green: 75", "opportunities:", "votes_per_participant"):
        assert key not in after


def test_structure_edits_still_load_equal(tmp_path: Path) -> None:
    path = tmp_path / "room.yaml"
    path.write_text(HAND, encoding="utf-8")
    j = (
        Journey.load(path)
        .move_stage("Onboard", 0)
        .add_moment("Acquire", "Pricing page", owner="Web")
        .remove_moment("Demo")
        .add_opportunity("Kickoff", "Checklist", effort=1)
        .with_emotions("Buyer", {"Kickoff": 2}, to_be=True)
    )
    j.save(path)
    text = path.read_text(encoding="utf-8")
    assert Journey.load(path) == j
    assert text.startswith("# Our room's journey") and "# the big one" in text


def test_files_with_aliases_and_unsafe_tags(tmp_path: Path) -> None:
    """The one loader rule still decides what is read: a tag outside plain data is refused before
    any round trip; a file with aliases loads and saves in the canonical layout."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(HAND + "extra: !!python/object:os.system ls\n", encoding="utf-8")
    with pytest.raises(JourneyError, match="the tag '!!python/object:os.system' is refused"):
        Journey.load(bad)
    aliased = tmp_path / "aliased.yaml"
    text = "schema_version: 1\nname: A\nstages:\n  - name: S\n    moments:\n      - &m {name: M1, owner: X}\n"
    aliased.write_text(text, encoding="utf-8")
    j = Journey.load(aliased)
    j.save(aliased)
    assert aliased.read_text(encoding="utf-8") == j.to_yaml()


def test_a_journey_not_read_from_yaml_is_written_canonically(tmp_path: Path) -> None:
    j = Journey.template("saas").rename_moment("Advocacy Ask", "Referral ask")
    j.save(tmp_path / "t.yaml")
    assert (tmp_path / "t.yaml").read_text(encoding="utf-8") == j.to_yaml()


TEMPLATES = Path(__file__).resolve().parents[2] / "cxwidgets" / "templates"


@pytest.mark.parametrize("name", sorted(p.name for p in TEMPLATES.glob("*.yaml")))
def test_load_and_save_with_no_edit_writes_the_same_bytes(tmp_path: Path, name: str) -> None:
    src = TEMPLATES / name
    path = tmp_path / name
    path.write_bytes(src.read_bytes())
    Journey.load(path).save(path)
    assert path.read_bytes() == src.read_bytes()


_MOMENTS = st.sampled_from(["First call", "Demo", "Kickoff"])
_EDITS = st.lists(
    st.one_of(
        st.tuples(st.just("rename"), _MOMENTS, st.text("abcdefgh XYZ", min_size=1, max_size=8)),
        st.tuples(st.just("vote"), _MOMENTS, st.integers(1, 3)),
        st.tuples(st.just("owner"), _MOMENTS, st.text("abc xyz'\"#:", max_size=10)),
        st.tuples(st.just("move"), st.sampled_from(["Acquire", "Onboard"]), st.integers(0, 1)),
        st.tuples(st.just("emotion"), st.sampled_from(["Admin", "Buyer"]), st.integers(-2, 2)),
    ),
    max_size=6,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=_EDITS)
def test_any_edits_round_trip_through_the_hand_written_file(
    tmp_path: Path, edits: list[tuple[str, str, object]]
) -> None:
    """load -> any edits -> save -> load gives the edited journey, and the header comments stay."""
    path = tmp_path / "room.yaml"
    path.write_text(HAND, encoding="utf-8")
    j = Journey.load(path)
    names = {"First call": "First call", "Demo": "Demo", "Kickoff": "Kickoff"}
    for op, who, arg in edits:
        try:
            if op == "rename":
                j = j.rename_moment(names[who], str(arg))
                names[who] = str(arg).strip()
            elif op == "vote":
                j = j.vote(names[who], int(arg))  # type: ignore[call-overload]
            elif op == "owner":
                j = j.update_moment(names[who], owner=str(arg))
            elif op == "move":
                j = j.move_stage(who, int(arg))  # type: ignore[call-overload]
            else:
                j = j.with_emotions(who, {names["Kickoff"]: float(arg)})  # type: ignore[arg-type]
        except (JourneyError, ValueError):
            continue  # an edit the journey refuses (a duplicate name ...) changes nothing
    j.save(path)
    text = path.read_text(encoding="utf-8")
    assert Journey.load(path) == j
    assert text.startswith("# Our room's journey: written by hand before the workshop.\n# Keep this header!\n")
