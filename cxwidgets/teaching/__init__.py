"""Teaching: lessons whose exercises check themselves, offline (see :mod:`cxwidgets.teaching.exercises`).

``exercise("lesson.name")`` gives an exercise to show and to ``check(answer)``;
``lesson_data("lesson")`` the lesson's seeded data with its declared truth.

Example:
    >>> from cxwidgets.teaching import exercise
    >>> exercise("significance.halve").check("4x")
    Right: significance.halve
"""

from __future__ import annotations

from cxwidgets.teaching.exercises import (
    ChoiceExercise,
    CodeExercise,
    Exercise,
    NumberExercise,
    Quiz,
    Result,
    answer_digest,
)
from cxwidgets.teaching.lessons import LESSONS, exercise, exercises, lesson_data

__all__ = [
    "LESSONS",
    "ChoiceExercise",
    "CodeExercise",
    "Exercise",
    "NumberExercise",
    "Quiz",
    "Result",
    "answer_digest",
    "exercise",
    "exercises",
    "lesson_data",
]
