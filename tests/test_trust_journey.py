"""Issue 11 ("Trust") for the journey spec: look-alike names, extreme numbers, journey files that
attack the kernel, booleans where numbers are meant, messages that cannot grow with the input,
and signal keys that stay unambiguous through segment weights, sensitivity and backfill.

Every expected value is worked by hand in the test (never read back from the code under test).
"""

from __future__ import annotations

import json
import time
import tracemalloc
import unicodedata
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cxwidgets as cx
from cxwidgets.analysis.backfill import backfill, config_changes
from cxwidgets.analysis.sensitivity import suggest_weights, weight_sensitivity
from cxwidgets.journey import Journey, JourneyError, MISSettings, signal_key
from cxwidgets.mis import MISModel

NFC = "Caf\u00e9"  # é as one code point
NFD = "Cafe\u0301"  # e + combining acute accent: prints the same


def _doc(**top: Any) -> dict[str, Any]:
    """A one-stage, one-moment, one-signal journey mapping; keyword arguments replace top-level fields."""
    data: dict[str, Any] = {
        "schema_version": 1,
        "name": "Trust",
        "stages": [
            {
                "name": "Onboard",
                "moments": [
                    {
                        "name": "Kickoff",
                        "signals": [
                            {
                                "name": "Kickoff CSAT",
                                "category": "experience",
                                "source": {"table": "responses", "metric": "csat", "scale": [1, 5]},
                                "floor": 3,
                                "target": 4.5,
                                "green": 4.2,
                                "amber": 3.8,
                            }
                        ],
                    }
                ],
            }
        ],
    }
    data.update(top)
    return data


def _with_signal(**fields: Any) -> dict[str, Any]:
    data = _doc()
    data["stages"][0]["moments"][0]["signals"][0].update(fields)
    return data


def _error(data: dict[str, Any]) -> str:
    with pytest.raises(JourneyError) as info:
        Journey.from_json(json.dumps(data))
    return str(info.value)


# =============================================================================================
# 1. look-alike names
# =============================================================================================


def test_names_are_normalised_to_nfc_so_nfd_and_nfc_are_one_moment() -> None:
    j = Journey.empty().add_stage("Onboard").add_moment("Onboard", NFD)
    assert j.moment_names() == [NFC]  # stored in NFC
    assert j.moment(NFD).name == NFC  # and found by either spelling
    with pytest.raises(JourneyError, match="two moments are named"):
        j.add_moment("Onboard", NFC)


@pytest.mark.parametrize(
    ("field", "path"),
    [
        ("journey name", lambda d, v: d.update(name=v)),
        ("stage name", lambda d, v: d["stages"][0].update(name=v)),
        ("moment name", lambda d, v: d["stages"][0]["moments"][0].update(name=v)),
        ("signal name", lambda d, v: d["stages"][0]["moments"][0]["signals"][0].update(name=v)),
    ],
)
@pytest.mark.parametrize(
    ("char", "code"),
    [
        ("\u200b", "U+200B"),  # zero-width space
        ("\u200d", "U+200D"),  # zero-width joiner
        ("\u200c", "U+200C"),  # zero-width non-joiner
        ("\ufeff", "U+FEFF"),  # byte-order mark
        ("\u00ad", "U+00AD"),  # soft hyphen
        ("\u202e", "U+202E"),  # right-to-left override
        ("\x07", "U+0007"),  # a control character
        ("\n", "U+000A"),  # a line break inside a name
    ],
)
def test_invisible_characters_in_names_are_refused_with_field_and_position(
    field: str, path: Any, char: str, code: str
) -> None:
    data = _doc()
    path(data, "Kick" + char + "off")
    msg = _error(data)
    assert field in msg
    assert code in msg
    assert "position 5" in msg  # K-i-c-k then the invisible character: the 5th


@pytest.mark.parametrize(
    ("mis", "field"),
    [
        ({"role_multipliers": {"exec\u200butive": 1.5}}, "role_multipliers"),
        ({"segment_multipliers": {"\ufeffenterprise": 1.2}}, "segment_multipliers"),
        ({"segment_weights": {"smb\u00ad": {"Kickoff/Kickoff CSAT": 2}}}, "segment_weights"),
    ],
)
def test_invisible_characters_in_map_keys_are_refused(mis: dict[str, Any], field: str) -> None:
    msg = _error(_doc(mis=mis))
    assert field in msg and "invisible" in msg


def test_map_keys_are_normalised_and_look_alike_keys_collide() -> None:
    j = Journey.from_json(json.dumps(_doc(mis={"segment_multipliers": {NFD: 1.2}})))
    assert j.mis.segment_multipliers == {NFC: 1.2}
    msg = _error(_doc(mis={"segment_multipliers": {NFD: 1.2, NFC: 1.5}}))
    assert "appears twice" in msg


def test_a_nfd_name_in_a_file_loads_as_nfc_and_round_trips(tmp_path: Path) -> None:
    data = _doc()
    data["stages"][0]["moments"][0]["name"] = NFD
    data["emotions"] = {"Admin": {NFD: 1}}
    p = tmp_path / "j.yaml"
    p.write_text(json.dumps(data), encoding="utf-8")  # JSON is YAML
    j = Journey.load(p)
    assert j.moment_names() == [NFC] and j.emotions == {"Admin": {NFC: 1.0}}
    j.save(tmp_path / "k.yaml")
    assert Journey.load(tmp_path / "k.yaml") == j


def test_other_spaces_become_plain_spaces() -> None:
    j = Journey.empty().add_stage("On\u00a0board")  # no-break space
    assert j.stage_names() == ["On board"]


_BAD_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}  # private-use and unassigned (new emoji) are kept


@given(st.text(max_size=30))
def test_a_kept_name_is_nfc_stripped_visible_and_stable(text: str) -> None:
    try:
        j = Journey.empty(text)
    except ValueError:  # pydantic's ValidationError from the constructor
        return
    name = j.name
    assert name == unicodedata.normalize("NFC", name) == name.strip() and name
    assert not any(unicodedata.category(c) in _BAD_CATEGORIES for c in name)
    assert all(c == " " or unicodedata.category(c) != "Zs" for c in name)
    assert Journey.empty(name).name == name


# =============================================================================================
# 2. extreme numbers
# =============================================================================================


@pytest.mark.parametrize("weight", [1e-310, 5e-324, 1e-7, 1e308, 2e6, float("inf")])
def test_extreme_signal_weights_are_refused_naming_the_field(weight: float) -> None:
    data = _with_signal(weight=weight)
    with pytest.raises(ValueError) as info:  # model_validate: pydantic's ValidationError
        Journey.model_validate(data) if weight == float("inf") else Journey.from_json(json.dumps(data))
    msg = str(info.value)
    assert "weight" in msg
    if weight == float("inf"):  # pydantic refuses it first (allow_inf_nan=False)
        assert "finite" in msg
    else:
        assert "Kickoff CSAT" in msg and "0 or a number from 1e-06 to 1e+06" in msg


def test_journey_model_validate_raises_journey_error_or_validation_error() -> None:
    # Journey.model_validate is pydantic's: a ValidationError (also a ValueError) is fine there
    with pytest.raises(ValueError, match="weight"):
        Journey.model_validate(_with_signal(weight=1e-310))


@pytest.mark.parametrize("weight", [0, 1e-6, 1, 1e6])
def test_weights_in_range_are_kept(weight: float) -> None:
    data = _with_signal(weight=weight)
    other = dict(data["stages"][0]["moments"][0]["signals"][0], name="Other", weight=1)
    data["stages"][0]["moments"][0]["signals"].append(other)
    j = Journey.from_json(json.dumps(data))
    assert j.signal("Kickoff", "Kickoff CSAT").weight == weight


@pytest.mark.parametrize(
    ("mis", "field"),
    [
        ({"category_weights": {"experience": 1e7}}, "category_weights"),
        ({"category_weights": {"outcome": 1e-310}}, "category_weights"),
        ({"role_multipliers": {"executive": 1e-300}}, "role_multipliers"),
        ({"segment_multipliers": {"enterprise": 1e308}}, "segment_multipliers"),
        ({"segment_weights": {"smb": {"Kickoff/Kickoff CSAT": 1e-320}}}, "segment_weights"),
        ({"segment_multipliers": {"enterprise": -1}}, "segment_multipliers"),
    ],
)
def test_extreme_weights_and_multipliers_are_refused(mis: dict[str, Any], field: str) -> None:
    msg = _error(_doc(mis=mis))
    assert field in msg and "1e+06" in msg
    with pytest.raises(ValueError, match=field):
        MISSettings(**mis)


def test_the_weight_rule_is_one_function() -> None:
    from cxwidgets.journey import MAX_WEIGHT, MIN_WEIGHT, check_weight

    assert (MIN_WEIGHT, MAX_WEIGHT) == (1e-6, 1e6)
    assert check_weight(0, "w") == 0.0 and check_weight(2, "w") == 2.0
    for bad in (True, "2", float("nan"), -1.0, 1e-7, 1e7):
        with pytest.raises(ValueError, match="slider"):
            check_weight(bad, "slider")


@pytest.mark.parametrize(
    "fields",
    [
        {"source": {"table": "custom", "metric": "x"}, "floor": -1e308, "target": 1e308, "green": None, "amber": None},
        {"source": {"table": "custom", "metric": "x"}, "floor": 0, "target": 1e16, "green": None, "amber": None},
    ],
)
def test_absurd_floors_and_targets_are_refused(fields: dict[str, Any]) -> None:
    msg = _error(_with_signal(**fields))
    assert "1e+15" in msg


@pytest.mark.parametrize(
    ("green", "amber"),
    [(1e6, None), (None, -1e3), (4.2, -300.0), (12.0, 4.0), (110.5, None), (None, -100.5), (110.0, -100.0)],
)
def test_raw_thresholds_far_outside_floor_and_target_are_refused(green: float | None, amber: float | None) -> None:
    # floor 0, target 10 on a free metric: the span is 10, so thresholds may lie in 0 - 10 x 10 .. 10 + 10 x 10
    fields = {"source": {"table": "custom", "metric": "x"}, "floor": 0, "target": 10, "green": green, "amber": amber}
    ok = all(v is None or -100 <= v <= 110 for v in (green, amber))
    if ok:
        Journey.from_json(json.dumps(_with_signal(**fields)))
        return
    msg = _error(_with_signal(**fields))
    assert "-100..110" in msg


@pytest.mark.parametrize("green", [1e20, -1e20, 1e6])
def test_threshold_update_to_an_absurd_value_is_refused(green: float) -> None:
    fields = {"source": {"table": "custom", "metric": "x"}, "floor": 0, "target": 10}
    j = Journey.from_json(json.dumps(_with_signal(**fields)))
    with pytest.raises(JourneyError, match="green"):
        j.update_signal("Kickoff", "Kickoff CSAT", green=green)


# =============================================================================================
# 3. files that attack the kernel
# =============================================================================================

BOMB = """schema_version: 1
name: x
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
description: *i
"""


def test_a_yaml_alias_bomb_is_refused_quickly_with_bounded_memory() -> None:
    assert len(BOMB) < 1024
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(JourneyError, match="alias") as info:
            Journey.from_yaml(BOMB)
        text = str(info.value)
        # the whole traceback (the chained cause included) is cheap to print
        import traceback

        printed = "".join(traceback.format_exception(info.value))
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < 20 * 2**20
    assert time.perf_counter() - t0 < 10  # generous: today it does not return in 30 s
    assert len(text) < 2_000 and len(printed) < 10_000


def test_many_aliases_are_refused() -> None:
    lines = ["schema_version: 1", "name: x", "x: &x 1", "description: [" + ",".join(["*x"] * 2_000) + "]"]
    with pytest.raises(JourneyError, match="alias"):
        Journey.from_yaml("\n".join(lines) + "\n")


def test_a_few_aliases_still_work() -> None:
    text = """schema_version: 1
name: Anchors
stages:
- name: Onboard
  moments:
  - name: Kickoff
    signals:
    - name: A
      category: experience
      source: &csat {table: responses, metric: csat, scale: [1, 5]}
      floor: 3
      target: 4.5
    - name: B
      category: experience
      source: *csat
      floor: 3
      target: 4.5
"""
    j = Journey.from_yaml(text)
    assert j.signal("Kickoff", "B").source == j.signal("Kickoff", "A").source


@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize("depth", [100, 100_000])
def test_deep_nesting_is_a_journey_error(fmt: str, depth: int) -> None:
    nested = "[" * depth + "]" * depth
    if fmt == "yaml":
        text = f"schema_version: 1\nname: x\ndescription: {nested}\n"
        read = Journey.from_yaml
    else:
        text = f'{{"schema_version": 1, "name": "x", "description": {nested}}}'
        read = Journey.from_json
    with pytest.raises(JourneyError, match="nested") as info:
        read(text)
    assert len(str(info.value)) < 1_000


def test_deep_block_yaml_is_a_journey_error() -> None:
    text = "schema_version: 1\nname: x\ndescription:\n" + "".join(" " * i + "- \n" for i in range(1, 400))
    with pytest.raises(JourneyError, match="nested"):
        Journey.from_yaml(text)


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cxwidgets.journey.io as jm  # the file limits are read where the files are read

    monkeypatch.setattr(jm, "MAX_FILE_BYTES", 1_000)
    p = tmp_path / "big.yaml"
    p.write_text("schema_version: 1\nname: x\ndescription: '" + "x" * 2_000 + "'\n", encoding="utf-8")
    with pytest.raises(JourneyError, match="MB|bytes"):
        Journey.load(p)
    with pytest.raises(JourneyError, match="MB|bytes"):
        Journey.from_yaml(p.read_text(encoding="utf-8"))


def _big_journey(n_stages: int) -> Journey:
    saas = Journey.template("saas").model_dump(mode="json")
    sigs = [s for st_ in saas["stages"] for m in st_["moments"] for s in m["signals"]]
    stages = [
        {
            "name": f"Stage {i}",
            "moments": [
                {
                    "name": f"Moment {i}-{k}",
                    "owner": "Support",
                    "owner_sla": "2d",
                    "hypothesis": "Customers who wait churn more. " * 3,
                    "signals": [dict(s, name=f"{s['name']} {q}") for q, s in enumerate(sigs)],
                }
                for k in range(60)
            ],
        }
        for i in range(n_stages)
    ]
    saas["stages"] = stages
    return Journey.model_validate(saas)


def test_a_large_valid_journey_loads_and_round_trips(tmp_path: Path) -> None:
    j = _big_journey(8)  # about 2.2 MB of YAML
    p = j.save(tmp_path / "big.yaml")
    assert p.stat().st_size > 2_000_000
    assert Journey.load(p) == j
    assert Journey.load(j.save(tmp_path / "big.json")) == j


@pytest.mark.parametrize(
    "text",
    [
        "schema_version: 1\nname: !!python/object:os.system x\n",
        "schema_version: 1\nname: x\nname: y\n",
        "schema_version: 1\nname: x\nx: !custom 1\n",
    ],
)
def test_custom_tags_and_duplicate_keys_are_still_refused(text: str) -> None:
    with pytest.raises(JourneyError, match="tag|twice"):
        Journey.from_yaml(text)


# =============================================================================================
# 4. booleans where numbers are meant
# =============================================================================================


@pytest.mark.parametrize(
    ("where", "yaml_field", "field"),
    [
        ("signal", "weight: yes", "weight"),
        ("signal", "floor: true", "floor"),
        ("signal", "green: no", "green"),
        ("moment", "amber: yes", "amber"),
        ("moment", "emotion: yes", "emotion"),
        ("moment", "owner_sla: yes", "owner_sla"),
        ("top", "green: yes", "green"),
        ("top", "mis: {category_weights: {experience: yes}}", "category_weights"),
        ("top", "mis: {segment_multipliers: {enterprise: on}}", "segment_multipliers"),
        ("source", "scale: [yes, 5]", "scale"),
    ],
)
def test_booleans_are_refused_where_numbers_are_meant(where: str, yaml_field: str, field: str) -> None:
    signal = {
        "signal": yaml_field,
        "source": "source: {table: custom, metric: x, " + yaml_field.replace(": ", ": ", 1) + "}"
        if where == "source"
        else "source: {table: custom, metric: x}",
    }
    sig_extra = yaml_field if where == "signal" else ""
    mom_extra = yaml_field if where == "moment" else ""
    top_extra = yaml_field if where == "top" else ""
    text = f"""schema_version: 1
name: Bools
{top_extra}
stages:
- name: Onboard
  moments:
  - name: Kickoff
    {mom_extra}
    signals:
    - name: S
      category: experience
      {signal["source"]}
      floor: 0
      target: 10
      {sig_extra}
"""
    if where == "signal" and field == "floor":
        text = text.replace("      floor: 0\n", "")
    with pytest.raises(JourneyError) as info:
        Journey.from_yaml(text)
    msg = str(info.value)
    assert field in msg and "true/false" in msg


def test_bool_weight_from_python_is_refused_too() -> None:
    with pytest.raises(JourneyError, match="weight"):
        Journey.template("saas").update_signal("Demo Or Trial Setup", "Demo CES", weight=True)


# =============================================================================================
# 5. messages do not grow with the input
# =============================================================================================

HUGE = "x" * 100_000


def test_unknown_huge_names_give_short_messages() -> None:
    j = Journey.template("saas")
    for call in (
        lambda: j.moment(HUGE),
        lambda: j.stage(HUGE),
        lambda: j.signal("Demo Or Trial Setup", HUGE),
        lambda: j.resolve_signal_key(HUGE),
        lambda: j.update_moment("Demo Or Trial Setup", **{HUGE: 1}),
        lambda: Journey.template(HUGE),
    ):
        with pytest.raises(JourneyError) as info:
            call()
        assert len(str(info.value)) < 2_000


@pytest.mark.parametrize(
    "data",
    [
        _doc(**{HUGE: 1}),  # an unknown field
        _doc(name=[HUGE]),  # a name that is not text
        _doc(mis={"category_weights": {HUGE: 1}}),
        _doc(mis={"missing": HUGE}),
        _doc(emotions={"Admin": {HUGE: 1}}),
        _with_signal(category=HUGE),
        _with_signal(source={"table": HUGE, "metric": "x"}),
        _with_signal(source={"table": "custom", "metric": "x", "filter": {HUGE: []}}),
        _with_signal(floor=HUGE),
        _doc(schema_version=HUGE),
    ],
)
def test_invalid_huge_values_give_short_messages(data: dict[str, Any]) -> None:
    assert len(_error(data)) < 3_000


def test_many_problems_are_counted_not_all_printed() -> None:
    data = _doc()
    data["stages"] = [{"name": f"S{i}", "green": 200} for i in range(5_000)]
    msg = _error(data)
    assert "5,000 problems" in msg
    assert len(msg) < 5_000 and "more" in msg


# =============================================================================================
# 6. signal keys
# =============================================================================================


def _slash_journey() -> Journey:
    def sig(name: str, metric: str) -> dict[str, Any]:
        return {
            "name": name,
            "category": "experience",
            "source": {"table": "signals", "metric": metric},
            "floor": 0,
            "target": 10,
        }

    return Journey.model_validate(
        {
            "schema_version": 1,
            "name": "Slashes",
            "stages": [
                {
                    "name": "S",
                    "moments": [
                        {"name": "A/B", "signals": [sig("C", "m1"), sig("D", "m3")]},
                        {"name": "A", "signals": [sig("B/C", "m2"), sig("D", "m4")]},
                    ],
                }
            ],
        }
    )


def _slash_data() -> dict[str, pl.DataFrame]:
    # one account: m1 at its target (score 100), m3 at its floor (0), m2 at its floor (0), m4 at target (100)
    accounts = pl.DataFrame({"account_id": ["a1"], "segment": ["ent"]})
    signals = pl.DataFrame(
        {
            "account_id": ["a1"] * 4,
            "moment": ["A/B", "A/B", "A", "A"],
            "signal": ["m1", "m3", "m2", "m4"],
            "value": [10.0, 0.0, 0.0, 10.0],
        }
    )
    return {"accounts": accounts, "signals": signals}


def _moment_mis(frame: pl.DataFrame, column: str = "mis") -> dict[str, float]:
    return dict(zip(frame["moment"].to_list(), frame[column].to_list(), strict=True))


def test_slash_names_keep_two_segment_weights() -> None:
    k1, k2 = signal_key("A/B", "C"), signal_key("A", "B/C")
    assert k1 != k2
    j = _slash_journey().with_mis(segment_weights={"ent": {k2: 3.0}})
    assert j.mis.segment_weights == {"ent": {k2: 3.0}}
    assert Journey.from_yaml(j.to_yaml()) == j
    # moment "A": (3 * 0 + 1 * 100) / 4 = 25; moment "A/B" keeps (100 + 0) / 2 = 50
    mis = _moment_mis(cx.MISModel(j, _slash_data()).score("moment"))
    assert mis == pytest.approx({"A/B": 50.0, "A": 25.0})


def test_legacy_unescaped_keys_are_read_when_they_name_one_signal() -> None:
    j = _slash_journey()
    data = j.model_dump(mode="json")
    data["mis"]["segment_weights"] = {"ent": {"A/B/D": 2.0}}  # as an older version wrote it: only "A/B"/"D"
    j2 = Journey.from_json(json.dumps(data))
    assert j2.mis.segment_weights == {"ent": {signal_key("A/B", "D"): 2.0}}
    data["mis"]["segment_weights"] = {"ent": {"A/B/C": 2.0}}  # "A/B"/"C" or "A"/"B/C": ambiguous
    with pytest.raises(JourneyError, match="ambiguous"):
        Journey.from_json(json.dumps(data))


def test_rename_keeps_the_right_segment_weight() -> None:
    k2 = signal_key("A", "B/C")
    j = _slash_journey().with_mis(segment_weights={"ent": {k2: 3.0}})
    r = j.rename_moment("A", "E")
    assert r.mis.segment_weights == {"ent": {signal_key("E", "B/C"): 3.0}}
    r = j.rename_moment("A/B", "F")
    assert r.mis.segment_weights == {"ent": {k2: 3.0}}
    assert j.remove_moment("A/B").mis.segment_weights == {"ent": {k2: 3.0}}
    assert j.remove_signal("A", "B/C").mis.segment_weights == {"ent": {}}


def test_slash_names_keep_two_weights_through_backfill() -> None:
    k1 = signal_key("A/B", "C")
    out = backfill(_slash_journey(), {"signal_weights": {k1: 3.0}}, _slash_data())
    # "A/B": old (100 + 0) / 2 = 50, new (3 * 100 + 0) / 4 = 75; "A" unchanged at (0 + 100) / 2 = 50
    assert _moment_mis(out, "mis_old") == pytest.approx({"A/B": 50.0, "A": 50.0})
    assert _moment_mis(out, "mis_new") == pytest.approx({"A/B": 75.0, "A": 50.0})
    new = _slash_journey().update_signal("A/B", "C", weight=3.0)
    changes = config_changes(_slash_journey(), new).rows()
    assert changes == [("signal_weights", k1, "1.0", "3.0")]


def test_slash_names_keep_two_weights_through_weight_sensitivity() -> None:
    k1, k2 = signal_key("A/B", "C"), signal_key("A", "B/C")
    model = cx.MISModel(_slash_journey(), _slash_data())
    model.set(signal_weights={k1: 3.0})
    res = weight_sensitivity(model, spread=0.0, n=3, perturb=["signal_weights"])
    # no spread: every draw is the baseline, "A/B" = 75 and "A" = 50 in each
    got = {m: (mis, lo, hi) for m, mis, lo, hi in res.moments.select("moment", "mis", "mis_p05", "mis_p95").iter_rows()}
    assert got == {"A/B": pytest.approx((75.0, 75.0, 75.0)), "A": pytest.approx((50.0, 50.0, 50.0))}
    assert model.signal_weights[k1] == 3.0 and model.signal_weights[k2] == 1.0


def test_slash_names_through_suggest_weights() -> None:
    j = _slash_journey()
    import numpy as np

    rng = np.random.default_rng(0)
    ids = [f"a{i}" for i in range(40)]
    accounts = pl.DataFrame({"account_id": ids, "segment": ["ent"] * 40, "churned": [i % 2 == 0 for i in range(40)]})
    rows = []
    for a in ids:
        for moment, metric in (("A/B", "m1"), ("A/B", "m3"), ("A", "m2"), ("A", "m4")):
            rows.append((a, moment, metric, float(rng.uniform(0, 10))))
    signals = pl.DataFrame(
        rows,
        schema={"account_id": pl.String, "moment": pl.String, "signal": pl.String, "value": pl.Float64},
        orient="row",
    )
    model = cx.MISModel(j, {"accounts": accounts, "signals": signals})
    s = suggest_weights(model, accounts.select("account_id", "churned"), better="lower")
    assert s.frame["signal"].to_list() == [
        signal_key("A/B", "C"),
        signal_key("A/B", "D"),
        signal_key("A", "B/C"),
        signal_key("A", "D"),
    ]
    model.set(**s.settings)  # the keys are the model's keys


def test_a_huge_key_in_an_error_path_is_shortened() -> None:
    msg = _error(_doc(emotions={HUGE: {"Kickoff": "very"}}))  # the path holds the persona name
    assert "emotions" in msg and len(msg) < 1_000


def test_merge_keys_and_scalar_aliases_read_as_safe_load_reads_them() -> None:
    text = """schema_version: 1
name: &n Merged
description: *n
stages:
- name: Onboard
  moments:
  - name: Kickoff
    signals:
    - &base
      name: A
      category: experience
      source: {table: responses, metric: csat, scale: [1, 5]}
      floor: 3
      target: 4.5
    - <<: *base
      name: B
      weight: 2
"""
    j = Journey.from_yaml(text)
    assert j.description == "Merged"
    b = j.signal("Kickoff", "B")
    assert (b.floor, b.target, b.weight, b.source.metric) == (3.0, 4.5, 2.0, "csat")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("schema_version: 1\nname: x\n---\nschema_version: 1\nname: y\n", "single document"),
        ("schema_version: 1\nname: *nope\n", "undefined alias"),
        ("schema_version: 1\nname: &a x\ndescription: &a y\n", "duplicate anchor"),
        ("schema_version: 1\nname: x\ndescription: &r [*r]\n", "recursive"),
    ],
)
def test_yaml_structure_errors_are_journey_errors(text: str, words: str) -> None:
    with pytest.raises(JourneyError, match=words):
        Journey.from_yaml(text)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_check_weight_keeps_a_weight_or_refuses_it(x: float) -> None:
    from cxwidgets.journey import check_weight

    try:
        w = check_weight(x, "w")
    except ValueError:
        assert not (x == 0 or 1e-6 <= x <= 1e6)
        return
    assert w == x and (w == 0 or 1e-6 <= w <= 1e6)


@pytest.mark.parametrize("value", ["2", "1e308", " 1 "])
def test_text_is_refused_where_numbers_are_meant_as_the_model_refuses_it(value: str) -> None:
    """A quoted number in a journey file is refused, as MISModel's setters refuse it."""
    data = Journey.template("saas").model_dump()
    data["stages"][0]["moments"][0]["signals"][0]["weight"] = value
    with pytest.raises(ValueError, match="without quotes"):
        Journey.model_validate(data)
    model = MISModel(Journey.template("saas"))
    key = next(iter(model.signal_weights))
    with pytest.raises(ValueError):
        model.signal_weights = {key: value}  # type: ignore[dict-item]
