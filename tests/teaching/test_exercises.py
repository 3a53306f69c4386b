"""The exercise helper itself: tolerances, choices, code answers, and the static quiz's HTML.

The quiz is parsed with the standard library's HTML parser: user text (a task, a choice or a
hint named ``<img src=x onerror=alert(1)>``) must come out as text, never as an element or an
attribute, and the inline script must carry it only as JSON that cannot close the element.
"""

from __future__ import annotations

import json
import math
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

import cxwidgets as cx
from cxwidgets.teaching import ChoiceExercise, CodeExercise, NumberExercise, Result, answer_digest, exercise

EVIL = "<img src=x onerror=alert(1)>"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.button_text: list[str] = []
        self.scripts: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs
        self._in = tag
        if tag == "button":
            self.button_text.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "button":
            self.button_text[-1] += data
        elif self._in == "script":
            self.scripts.append(data)


def _parse(html: str) -> _Tags:
    p = _Tags()
    p.feed(html)
    p.close()
    return p


def _quiz(task: str, choices: list[str], hints: dict[str, str] | None = None) -> ChoiceExercise:
    return ChoiceExercise("t.q", task, choices=choices, digest=answer_digest("t.q", choices[0]), hints=hints or {})


def test_a_choice_named_like_markup_stays_text_in_the_quiz() -> None:
    q = _quiz(EVIL, [EVIL, "</script><script>alert(2)</script>"], hints={"</script><script>alert(2)</script>": EVIL})
    p = _parse(q.quiz().html())
    assert set(p.tags) == {"div", "button", "script"}
    assert "img" not in p.tags and not any(k.startswith("on") for k, _ in p.attrs)
    assert p.button_text == [EVIL, "</script><script>alert(2)</script>"]
    assert len(p.scripts) == 1 and "<" not in p.scripts[0]
    # the hint rides in the script as JSON and is shown with textContent, never innerHTML
    data = json.loads(re.search(r"var fb=(\[.*?\]);", p.scripts[0]).group(1))  # type: ignore[union-attr]
    assert data == [{"right": True, "hint": ""}, {"right": False, "hint": EVIL}]
    assert "innerHTML" not in p.scripts[0] and "textContent" in p.scripts[0]


def test_the_quiz_needs_no_network() -> None:
    html = exercise("significance.halve").quiz().html()  # type: ignore[attr-defined]
    assert not re.search(r"(src|href)\s*=|https?:|//cdn", html)


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_any_text_is_inert_in_the_quiz(a: str, b: str) -> None:
    if " ".join(a.split()).casefold() == " ".join(b.split()).casefold() or not a.split() or not b.split():
        return
    q = _quiz(a, [a, b], hints={b: a})
    p = _parse(q.quiz().html())
    assert set(p.tags) <= {"div", "button", "script"}
    assert p.button_text == [a, b]
    assert all("<" not in s for s in p.scripts)


def test_result_renders_escaped_html() -> None:
    r = Result("x", False, EVIL)
    assert "<img" not in r._repr_html_() and "&lt;img" in r._repr_html_()
    assert "Right" in Result("x", True)._repr_html_()
    q = exercise("loss_aversion.first")
    assert "<li>Remove the detractor moment</li>" in q._repr_html_()


@given(
    st.floats(-1e6, 1e6, allow_nan=False), st.floats(0, 10, allow_nan=False), st.floats(-20, 20, allow_nan=False)
)
def test_a_number_is_right_exactly_within_its_tolerance(ref: float, tol: float, offset: float) -> None:
    q = NumberExercise("t.n", "?", expected=lambda: ref, abs_tol=tol, rel_tol=0.0)
    answer = ref + offset
    if abs(abs(answer - ref) - tol) < 1e-6 * max(1.0, abs(ref)):
        return  # on the edge, floating point decides
    assert bool(q.check(answer)) == (abs(answer - ref) <= tol)


def test_numpy_numbers_count_as_numbers_and_booleans_do_not() -> None:
    import numpy as np

    q = NumberExercise("t.n", "?", expected=lambda: 1.0)
    assert q.check(np.float64(1.0)) and q.check(np.int64(1))
    assert not q.check(True) and "not bool" in q.check(True).hint
    assert not q.check(math.inf)


def test_choices_ignore_case_and_spaces_and_name_the_options_otherwise() -> None:
    q = _quiz("?", ["Four times", "Twice"])
    assert q.check("  four   TIMES ")
    r = q.check("thrice")
    assert not r and "'Four times', 'Twice'" in r.hint
    with pytest.raises(ValueError, match="exactly one"):
        ChoiceExercise("t.q", "?", choices=["a", "b"])
    with pytest.raises(ValueError, match="two distinct"):
        ChoiceExercise("t.q", "?", choices=["a", "A"], digest="x")


def test_a_digest_does_not_show_the_answer() -> None:
    d = answer_digest("significance.halve", "4x")
    assert re.fullmatch(r"[0-9a-f]{16}", d) and "4x" not in d
    assert answer_digest("another.id", "4x") != d  # salted by the exercise id


def test_code_that_raises_is_a_hint() -> None:
    q = CodeExercise("t.c", "?", test=lambda f: None if f(2) == 4 else "square it")
    assert q.check(lambda x: x * x)
    assert q.check(lambda x: x + 1).hint == "square it"
    assert "ZeroDivisionError" in q.check(lambda x: x / 0).hint


def test_public_names_and_unknown_ids() -> None:
    assert cx.exercise("significance.halve") is exercise("significance.halve")
    assert cx.teaching.lesson_data("hygiene") is cx.teaching.lesson_data("hygiene")
    with pytest.raises(KeyError, match="did you mean 'significance.halve'"):
        exercise("significance.halv")


def test_the_notebook_placeholder_gets_a_hint_not_an_error() -> None:
    for q in (exercise("significance.nps_wave_a"), exercise("significance.halve"), exercise("loss_aversion.gap_code")):
        r = q.check(...)
        assert not r and "in place of ..." in r.hint
    r = exercise("loss_aversion.gap_code").check(lambda accounts: None)
    assert not r and "returned None" in r.hint


def test_a_reference_that_is_not_a_number_is_an_error_not_a_wrong_answer() -> None:
    q = NumberExercise("t.nan", "?", expected=lambda: float("nan"))
    with pytest.raises(ValueError, match="t.nan.*not a finite number"):
        q.check(1.0)
