"""Exercises that check themselves, offline: a task, a check, a hint that teaches.

In the spirit of otter-grader's ``check("q1")``, without a server or a grader: a lesson notebook
names an exercise, shows its task, and the student's answer is checked in the kernel::

    from cxwidgets.teaching import exercise
    q = exercise("significance.nps_wave_a")
    q                      # the task, as text in Jupyter
    q.check(my_answer)     # "Right", or "Not yet" with a hint; never the answer

Three kinds of exercise:

* :class:`NumberExercise`: a number, right within a tolerance (absolute and relative). Typical
  wrong answers (the share instead of the points, a forgotten square) get their own hint.
* :class:`ChoiceExercise`: one of a few choices; each wrong choice may carry its own hint. It
  also renders as a static quiz (:meth:`ChoiceExercise.quiz`): HTML with its inline script, no
  CDN, no kernel, so it works in an exported HTML page as jupyterquiz's quizzes do.
* :class:`CodeExercise`: the student passes a value (often a function they wrote); a checking
  function runs it on the lesson's data and returns ``None`` (right) or a hint.

**Where the answer key lives.** The notebook only names the exercise; it holds no answer. A
numeric exercise's reference is *computed by the package* from the lesson's seeded data (e.g.
``cx.nps`` over the generated answers, ``evidence.n_needed`` for a sample size), never written
down: a change in a metric definition changes the reference with it, and the stored notebook's
output (compared by nbval) shows it. A conceptual choice ("to halve an interval you need ... the
sample") is stored as a salted SHA-256 of the right choice (:func:`answer_digest`), so reading
the lesson's source does not give it away at a glance. The instructor's answers, written out,
are the tests in ``tests/teaching/``: each exercise is answered there, the right answer computed
independently (plain Python or numpy), and a typical wrong answer is shown to get its hint.
A static quiz is the exception: it must judge a click without a kernel, so its page carries which
choice is right (as jupyterquiz's do); use it to practise, not to examine.

Every text a lesson gives (task, choices, hints) is rendered as text in HTML, never as markup.

Example:
    >>> q = NumberExercise("demo.half", "What is 1 / 2?", expected=lambda: 0.5, abs_tol=0.01,
    ...                    hints=[(lambda a: abs(a - 50) < 1, "Give a fraction, not a percentage.")])
    >>> q.check(0.5)
    Right: demo.half
    >>> q.check(50)
    Not yet: demo.half. Hint: Give a fraction, not a percentage.
    >>> bool(q.check(0.499)), bool(q.check(0.6))
    (True, False)
    >>> q.check(...)
    Not yet: demo.half. Hint: Put your answer in place of ... and run the cell again.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cxwidgets._util.html import script_json, text

__all__ = [
    "ChoiceExercise",
    "CodeExercise",
    "Exercise",
    "NumberExercise",
    "Quiz",
    "Result",
    "answer_digest",
]

_SALT = "cxwidgets-teaching-v1"
#: What a check says to an answer still left as ``...`` (the placeholder of a lesson notebook).
PLACEHOLDER_HINT = "Put your answer in place of ... and run the cell again."
_QUIZ_IDS = itertools.count(1)


def answer_digest(exercise_id: str, choice: str) -> str:
    """The salted SHA-256 that stores a choice exercise's right answer (first 16 hex digits).

    Example:
        >>> answer_digest("demo.q", "4x")
        '...'
        >>> answer_digest("demo.q", "4x") == answer_digest("demo.q", " 4X ")
        True
    """
    key = f"{_SALT}|{exercise_id}|{_norm(choice)}".encode()
    return hashlib.sha256(key).hexdigest()[:16]


def _norm(choice: str) -> str:
    return " ".join(str(choice).split()).casefold()


@dataclass(frozen=True)
class Result:
    """What a check says: right, or not yet with a hint. True when right.

    Example:
        >>> r = Result("demo.q", False, "Look at the sign.")
        >>> bool(r), r
        (False, Not yet: demo.q. Hint: Look at the sign.)
    """

    exercise_id: str
    right: bool
    hint: str = ""

    def __bool__(self) -> bool:
        return self.right

    def __repr__(self) -> str:
        if self.right:
            return f"Right: {self.exercise_id}"
        return f"Not yet: {self.exercise_id}. Hint: {self.hint}" if self.hint else f"Not yet: {self.exercise_id}"

    def _repr_html_(self) -> str:
        if self.right:
            return (
                '<div class="cx-check" style="border-left:4px solid #1a7f37;padding:4px 8px">'
                f"<b>&#10003; Right</b> ({text(self.exercise_id)})</div>"
            )
        hint = f"<br>Hint: {text(self.hint)}" if self.hint else ""
        return (
            '<div class="cx-check" style="border-left:4px solid #cf222e;padding:4px 8px">'
            f"<b>&#10007; Not yet</b> ({text(self.exercise_id)}){hint}</div>"
        )


@dataclass
class Exercise:
    """An exercise: an id, a task, and a :meth:`check`. Subclasses say how an answer is judged."""

    id: str
    task: str

    def check(self, answer: Any) -> Result:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"Exercise {self.id}: {self.task}"

    def _repr_html_(self) -> str:
        return (
            '<div class="cx-exercise" style="border-left:4px solid #0969da;padding:4px 8px">'
            f"<b>Exercise {text(self.id)}</b><br>{text(self.task)}</div>"
        )


Hint = tuple[Callable[[float], bool], str]


@dataclass(repr=False)
class NumberExercise(Exercise):
    """A numeric answer, right when within ``abs_tol`` or ``rel_tol`` of ``expected()``.

    ``expected`` is a function (computed by the package from the lesson's data when first
    checked); ``hints`` are ``(is_this_mistake, hint)`` pairs tried in order on a wrong answer;
    ``hint`` is said when none matches. A text, a NaN or a boolean is refused with a hint.

    Example:
        >>> q = NumberExercise("demo.nps", "NPS of 10, 9, 7, 3?", expected=lambda: 25.0)
        >>> q.check(25), q.check("25")
        (Right: demo.nps, Not yet: demo.nps. Hint: Give a number (int or float), not str.)
    """

    expected: Callable[[], float]
    abs_tol: float = 0.0
    rel_tol: float = 1e-6
    hints: Sequence[Hint] = ()
    hint: str = "Not this number: re-read the task and check each step."

    def reference(self) -> float:
        """The reference value (for the tests and the instructor; the notebook never prints it).

        A reference that is not a finite number is an error, not a "Not yet" for every answer.
        """
        ref = float(self.expected())
        if not math.isfinite(ref):
            raise ValueError(f"exercise {self.id!r}: its reference is {ref}, not a finite number; the lesson's "
                             "data cannot answer it (check the lesson's generator and its parameters)")
        return ref

    def check(self, answer: Any) -> Result:
        if answer is Ellipsis:
            return Result(self.id, False, PLACEHOLDER_HINT)
        if isinstance(answer, bool) or not isinstance(answer, (int, float)) and not hasattr(answer, "__float__"):
            return Result(self.id, False, f"Give a number (int or float), not {type(answer).__name__}.")
        value = float(answer)
        if not math.isfinite(value):
            return Result(self.id, False, "Give a finite number (not NaN or infinity).")
        ref = self.reference()
        if math.isclose(value, ref, rel_tol=self.rel_tol, abs_tol=self.abs_tol):
            return Result(self.id, True)
        for is_mistake, hint in self.hints:
            try:
                if is_mistake(value):
                    return Result(self.id, False, hint)
            except (ArithmeticError, ValueError):
                continue
        return Result(self.id, False, self.hint)


@dataclass(repr=False)
class ChoiceExercise(Exercise):
    """One right choice among ``choices``; the right one is stored as :func:`answer_digest`
    (``digest=``) or computed by the package from the lesson's data (``right=``, a function
    returning the right choice). ``hints`` maps a wrong choice to what it misses.

    Example:
        >>> q = ChoiceExercise("demo.q", "To halve an interval's width you need ... the sample.",
        ...                    choices=["2x", "4x"], digest=answer_digest("demo.q", "4x"),
        ...                    hints={"2x": "The width falls as 1 / sqrt(n), not 1 / n."})
        >>> q.check("4x"), q.check("2x")
        (Right: demo.q, Not yet: demo.q. Hint: The width falls as 1 / sqrt(n), not 1 / n.)
        >>> q.check("8x")
        Not yet: demo.q. Hint: Pick one of: '2x', '4x'.
    """

    choices: Sequence[str]
    digest: str | None = None
    right: Callable[[], str] | None = None
    hints: dict[str, str] = field(default_factory=dict)
    hint: str = "Not this one: think about what the measurement can and cannot tell."

    def __post_init__(self) -> None:
        if (self.digest is None) == (self.right is None):
            raise ValueError(f"exercise {self.id!r}: give exactly one of digest= or right=")
        if len({_norm(c) for c in self.choices}) != len(self.choices) or len(self.choices) < 2:
            raise ValueError(f"exercise {self.id!r}: needs at least two distinct choices")

    def _is_right(self, choice: str) -> bool:
        if self.right is not None:
            return _norm(choice) == _norm(self.right())
        return answer_digest(self.id, choice) == self.digest

    def check(self, answer: Any) -> Result:
        if answer is Ellipsis:
            return Result(self.id, False, PLACEHOLDER_HINT + " Choices: " + ", ".join(repr(c) for c in self.choices))
        picked = next((c for c in self.choices if _norm(c) == _norm(str(answer))), None)
        if picked is None:
            return Result(self.id, False, "Pick one of: " + ", ".join(repr(c) for c in self.choices) + ".")
        if self._is_right(picked):
            return Result(self.id, True)
        return Result(self.id, False, self.hints.get(picked, self.hint))

    def __repr__(self) -> str:
        return f"Exercise {self.id}: {self.task} Choices: " + ", ".join(repr(c) for c in self.choices)

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{text(c)}</li>" for c in self.choices)
        return super()._repr_html_().replace("</div>", f"<ul>{items}</ul></div>", 1)

    def quiz(self) -> Quiz:
        """This exercise as a static quiz (HTML + inline script; works with no kernel)."""
        return Quiz(self)


@dataclass(repr=False)
class CodeExercise(Exercise):
    """A value (often a function the student wrote) judged by ``test(value)``, which returns
    ``None`` when right or a hint. An exception raised by the student's code is a hint too.

    Example:
        >>> def test(f):
        ...     return None if f([1, 0, 1, 1]) == 0.75 else "Divide the renewals by all accounts."
        >>> q = CodeExercise("demo.rate", "Write rate(xs): the share of 1s.", test=test)
        >>> q.check(lambda xs: sum(xs) / len(xs)), q.check(lambda xs: sum(xs))
        (Right: demo.rate, Not yet: demo.rate. Hint: Divide the renewals by all accounts.)
        >>> q.check(lambda xs: xs / 0)
        Not yet: demo.rate. Hint: Your code raised TypeError: unsupported operand type(s) for /: 'list' and 'int'
    """

    test: Callable[[Any], str | None]

    def check(self, answer: Any) -> Result:
        if answer is Ellipsis:
            return Result(self.id, False, PLACEHOLDER_HINT)
        try:
            hint = self.test(answer)
        except Exception as exc:  # the student's code failing is feedback, not a crash
            return Result(self.id, False, f"Your code raised {type(exc).__name__}: {exc}")
        return Result(self.id, hint is None, hint or "")


class Quiz:
    """A multiple-choice exercise as a self-contained quiz: HTML with its inline script.

    No CDN, no kernel: a click shows right or the wrong choice's hint, in the page, so the quiz
    works in a notebook exported to HTML. Every text is escaped (a choice named
    ``<img src=x onerror=alert(1)>`` shows as that text); the script sets ``textContent`` only.

    Example:
        >>> q = ChoiceExercise("demo.q", "Pick <b>", choices=["<i>a</i>", "b"], digest=answer_digest("demo.q", "b"))
        >>> html = q.quiz().html()
        >>> "<i>" in html, "&lt;i&gt;a&lt;/i&gt;" in html
        (False, True)
    """

    def __init__(self, exercise: ChoiceExercise) -> None:
        self.exercise = exercise
        self._n = next(_QUIZ_IDS)

    def html(self) -> str:
        """The quiz as one HTML fragment (a ``<div>`` and its ``<script>``)."""
        ex = self.exercise
        uid = "cxq-" + hashlib.sha256(f"{ex.id}|{self._n}".encode()).hexdigest()[:12]
        feedback = [
            {"right": ex._is_right(c), "hint": "" if ex._is_right(c) else ex.hints.get(c, ex.hint)} for c in ex.choices
        ]
        buttons = "".join(
            f'<button type="button" data-i="{i}" style="margin:2px 4px 2px 0;padding:3px 10px;cursor:pointer">'
            f"{text(c)}</button>"
            for i, c in enumerate(ex.choices)
        )
        script = (
            "(function(){"
            f"var box=document.getElementById({script_json(uid)});if(!box)return;"
            f"var fb={script_json(feedback)};var out=box.querySelector('.cxq-out');"
            "box.querySelectorAll('button').forEach(function(b){b.addEventListener('click',function(){"
            "var f=fb[+b.getAttribute('data-i')];"
            "out.textContent=f.right?'\\u2713 Right':'\\u2717 Not yet. Hint: '+f.hint;"
            "out.style.color=f.right?'#1a7f37':'#cf222e';});});})();"
        )
        return (
            f'<div class="cx-quiz" id="{uid}" style="border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;'
            'font-family:sans-serif;max-width:46em">'
            f'<div style="font-weight:bold;margin-bottom:4px">Quiz {text(ex.id)}</div>'
            f'<div style="margin-bottom:6px">{text(ex.task)}</div>{buttons}'
            '<div class="cxq-out" style="margin-top:6px;min-height:1.2em" aria-live="polite"></div>'
            f"</div><script>{script}</script>"
        )

    def _repr_html_(self) -> str:
        return self.html()

    def __repr__(self) -> str:
        return f"Quiz {self.exercise.id}: {self.exercise.task} Choices: " + ", ".join(
            repr(c) for c in self.exercise.choices
        )
