"""The lesson notebooks name their exercises and hold no answers (nbval runs them; this reads them).

Every exercise of a lesson is shown in its notebook, and every ``.check(...)`` call there passes
the placeholder ``...`` (or a function whose body is ``...``), so the stored notebook a student
opens answers nothing; the answers are in tests/teaching/test_answers.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cxwidgets.teaching import exercises

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
LESSON_NOTEBOOKS = {
    "significance": "09_sample_size_and_significance.ipynb",
    "loss_aversion": "10_loss_aversion.ipynb",
    "hygiene": "11_hygiene_factors.ipynb",
    "peak_end": "12_peak_end.ipynb",
    "perception": "13_perception_vs_reality.ipynb",
    "sludge": "14_sludge.ipynb",
}


def _code(name: str) -> str:
    nb = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


@pytest.mark.parametrize(("lesson", "notebook"), LESSON_NOTEBOOKS.items())
def test_the_notebook_names_every_exercise_and_answers_none(lesson: str, notebook: str) -> None:
    code = _code(notebook)
    for e in exercises(lesson):
        assert f'exercise("{e.id}")' in code, f"{notebook} does not show {e.id}"
    calls = re.findall(r"\.check\(([^)]*)\)", code)
    assert len(calls) == len(exercises(lesson))
    for arg in calls:
        if arg == "...":
            continue
        body = re.search(rf"def {re.escape(arg)}\(.*?\).*?:\n((?:    .*\n?)+)", code)
        assert body is not None and body.group(1).strip().startswith("..."), f"{notebook} answers: check({arg})"


def test_a_lesson_number_is_free_of_other_notebooks() -> None:
    numbers = [p.name[:2] for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")]
    assert len(numbers) == len(set(numbers)), f"two notebooks share a number: {sorted(numbers)}"


@pytest.mark.parametrize("notebook", LESSON_NOTEBOOKS.values())
def test_the_notebook_is_stored_executed(notebook: str) -> None:
    """nbval compares stored outputs; a notebook stored without them would pass it unseen."""
    nb = json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), f"{notebook}: run it top to bottom before committing"
    assert all(c["outputs"] for c in code if ".check(" in "".join(c["source"]))
