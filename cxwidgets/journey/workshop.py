"""The workshop tools of a journey: dot votes on moments, opportunities with their scores, a
comment per moment, and the persona limit; each lands in the journey file.

- Dot voting is anonymous: a moment keeps its vote total (``votes``), never who voted; the
  journey says how many votes each participant has (``votes_per_participant``, the map's ballot
  enforces it per participant).
- An :class:`Opportunity` is attached to a moment: a title and three whole-number scores on the
  declared scale :data:`SCORE_RANGE` (1 = least, 5 = most): customer value, business value and
  effort. Its value is the mean of the two values; the value x effort view plots value against
  effort (:meth:`JourneyWorkshop.opportunity_table`).
- A journey map holds at most :data:`MAX_PERSONAS` personas, each with an as-is and a to-be
  emotion curve.

``Journey`` inherits the methods of :class:`JourneyWorkshop`; the fields live on
:class:`~cxwidgets.journey.Moment` (``votes``, ``comment``, ``opportunities``) and
:class:`~cxwidgets.journey.Journey` (``votes_per_participant``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple, cast

from pydantic import BaseModel, ConfigDict, field_validator

from cxwidgets._util.text import choices as _choices
from cxwidgets._util.text import did_you_mean as _did_you_mean
from cxwidgets._util.text import short
from cxwidgets.journey.errors import JourneyKeyError
from cxwidgets.journey.rules import _is_bool, _lookup, clean_name

if TYPE_CHECKING:
    from cxwidgets.journey.models import Moment, Stage
    from cxwidgets.journey.spec import Journey

    _Base = BaseModel
else:
    _Base = object

#: The declared scale of an opportunity's scores: whole numbers, 1 (least) to 5 (most).
SCORE_RANGE: tuple[int, int] = (1, 5)
#: The scores of an opportunity, in the order the map shows them.
SCORES: tuple[str, ...] = ("customer_value", "business_value", "effort")
#: At most this many personas (each with an as-is and a to-be curve) on one journey map.
MAX_PERSONAS: int = 5
#: Votes per participant: a whole number from 1 to this.
MAX_VOTES_PER_PARTICIPANT: int = 20
#: A moment's vote total is a whole number from 0 to this.
MAX_VOTES: int = 1_000_000


def check_whole(value: object, field: str, lo: int, hi: int, fix: str) -> int:
    """``value`` as a whole number in ``lo..hi``, else a ``ValueError`` naming ``field`` and the fix.

    Example:
        >>> check_whole(4, "effort", 1, 5, "score effort from 1 (least) to 5 (most)")
        4
        >>> check_whole(7, "effort", 1, 5, "score effort from 1 (least) to 5 (most)")
        Traceback (most recent call last):
        ...
        ValueError: effort 7 is outside 1..5; score effort from 1 (least) to 5 (most)
    """
    if _is_bool(value) or not isinstance(value, (int, float)) or isinstance(value, float) and not value.is_integer():
        got = f"the text {short(value)}" if isinstance(value, str) else short(repr(value), 40)[1:-1]
        raise ValueError(f"{field} must be a whole number from {lo} to {hi}, got {got}; {fix}")
    whole = int(value)
    if not lo <= whole <= hi:
        raise ValueError(f"{field} {whole} is outside {lo}..{hi}; {fix}")
    return whole


class Opportunity(BaseModel):
    """An opportunity attached to a moment: a title and its customer value, business value and
    effort, each a whole number on :data:`SCORE_RANGE` (1 = least, 5 = most).

    Example:
        >>> from cxwidgets.journey import Opportunity
        >>> o = Opportunity(title="Self-serve setup", customer_value=5, business_value=4, effort=2)
        >>> o.value, o.quadrant
        (4.5, 'quick win')
        >>> from cxwidgets.journey import Journey, JourneyError
        >>> try:
        ...     Journey.template("saas").add_opportunity("Advocacy Ask", "X", effort=9)
        ... except JourneyError as err:
        ...     print(err.problems[0].split(": ", 1)[1])
        effort 9 is outside 1..5; score effort from 1 (least effort) to 5 (most effort)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str
    customer_value: int = 3
    business_value: int = 3
    effort: int = 3

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: object) -> str:
        return clean_name(value, "opportunity title")

    @field_validator(*SCORES, mode="before")
    @classmethod
    def _score(cls, value: object, info: Any) -> int:
        field = info.field_name
        lo, hi = SCORE_RANGE
        what = "effort" if field == "effort" else field.replace("_", " ")
        return check_whole(value, field, lo, hi, f"score {field} from {lo} (least {what}) to {hi} (most {what})")

    @property
    def value(self) -> float:
        """The opportunity's value: the mean of its customer and business value."""
        return (self.customer_value + self.business_value) / 2

    @property
    def quadrant(self) -> str:
        """Where it sits in the value x effort view: 'quick win' (value above the middle, effort
        at or below it), 'big bet' (both above), 'fill-in' (both at or below), 'money pit'."""
        mid = sum(SCORE_RANGE) / 2
        high_value, high_effort = self.value > mid, self.effort > mid
        if high_value:
            return "big bet" if high_effort else "quick win"
        return "money pit" if high_effort else "fill-in"


class OpportunityRow(NamedTuple):
    """One row of :meth:`JourneyWorkshop.opportunity_table`."""

    stage: str
    moment: str
    title: str
    customer_value: int
    business_value: int
    effort: int
    value: float
    quadrant: str


def check_personas(names: set[str]) -> None:
    """At most :data:`MAX_PERSONAS` personas (the as-is and to-be curves' together)."""
    if len(names) > MAX_PERSONAS:
        listed = ", ".join(repr(n) for n in sorted(names))
        raise ValueError(
            f"emotions/to_be: {len(names)} personas ({listed}); a journey map holds at most {MAX_PERSONAS} "
            "personas, each with an as-is and a to-be curve: remove one (with_emotions(persona, None)) or merge two"
        )


def check_opportunity_titles(moment: str, opportunities: list[Opportunity]) -> None:
    seen: set[str] = set()
    for o in opportunities:
        if o.title in seen:
            raise ValueError(
                f"moment {short(moment)}: two opportunities are titled {short(o.title)}; "
                "titles must be unique within a moment, rename one of them"
            )
        seen.add(o.title)


class JourneyWorkshop(_Base):
    """The workshop methods of :class:`~cxwidgets.journey.Journey` (each edit returns a new,
    validated journey)."""

    if TYPE_CHECKING:  # provided by Journey
        stages: list[Stage]
        emotions: dict[str, dict[str, float]]
        to_be: dict[str, dict[str, float]]
        votes_per_participant: int

        def _rebuild(self, data: dict[str, Any], action: str) -> Journey: ...
        def _moment_index(self, name: str) -> tuple[int, int]: ...
        def _find_moment(self, name: str) -> tuple[Stage, Moment]: ...

    def vote(self, moment: str, votes: int = 1) -> Journey:
        """A new journey with ``votes`` dot votes added to ``moment``'s total (a negative number
        takes votes back; the total never goes below 0). Anonymous: only the total is kept.

        Example:
            >>> from cxwidgets.journey import Journey
            >>> j = Journey.template("saas").vote("Renewal Decision", 2).vote("Advocacy Ask")
            >>> j.vote_totals()["Renewal Decision"], j.vote_totals()["Advocacy Ask"]
            (2, 1)
        """
        i, k = self._moment_index(moment)
        fix = "give a whole number of votes, e.g. 1 (or -1 to take one back)"
        add = check_whole(votes, "votes", -MAX_VOTES, MAX_VOTES, fix)
        current = self.stages[i].moments[k].votes
        name = self.stages[i].moments[k].name
        if current + add < 0:
            raise ValueError(
                f"vote: moment {short(name)} has {current} vote{'' if current == 1 else 's'}; "
                f"{-add} cannot be taken back (take back at most {current})"
            )
        data = cast("Journey", self).model_dump()
        data["stages"][i]["moments"][k]["votes"] = current + add
        return self._rebuild(data, f"vote({short(name)}, {add})")

    def clear_votes(self) -> Journey:
        """A new journey with every moment's vote total back at 0 (a new round of voting).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> sum(Journey.template("saas").vote("Advocacy Ask", 3).clear_votes().vote_totals().values())
            0
        """
        data = cast("Journey", self).model_dump()
        for stage in data["stages"]:
            for m in stage["moments"]:
                m["votes"] = 0
        return self._rebuild(data, "clear_votes()")

    def vote_totals(self) -> dict[str, int]:
        """moment -> its vote total, in journey order.

        Example:
            >>> from cxwidgets.journey import Journey
            >>> list(Journey.template("saas").vote("Advocacy Ask").vote_totals().items())[-1]
            ('Advocacy Ask', 1)
        """
        return {m.name: m.votes for s in self.stages for m in s.moments}

    def comment_on(self, moment: str, text: str) -> Journey:
        """A new journey with the room's comment on ``moment`` set to ``text`` (``""`` clears it).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> Journey.template("saas").comment_on("Advocacy Ask", "Ask after a win").moment("Advocacy Ask").comment
            'Ask after a win'
        """
        if not isinstance(text, str):
            raise TypeError(f"comment_on: the comment must be text, got {type(text).__name__}")
        i, k = self._moment_index(moment)
        data = cast("Journey", self).model_dump()
        data["stages"][i]["moments"][k]["comment"] = text
        return self._rebuild(data, f"comment_on({short(moment)})")

    def add_opportunity(
        self, moment: str, title: str, *, customer_value: int = 3, business_value: int = 3, effort: int = 3
    ) -> Journey:
        """A new journey with an opportunity attached to ``moment`` (scores 1..5, see
        :class:`Opportunity`).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> j = Journey.template("saas").add_opportunity("Onboarding Kickoff", "Kickoff checklist",
            ...                                              customer_value=4, business_value=3, effort=1)
            >>> j.moment("Onboarding Kickoff").opportunities[0].quadrant
            'quick win'
        """
        i, k = self._moment_index(moment)
        data = cast("Journey", self).model_dump()
        data["stages"][i]["moments"][k]["opportunities"].append(
            {"title": title, "customer_value": customer_value, "business_value": business_value, "effort": effort}
        )
        return self._rebuild(data, f"add_opportunity({short(moment)}, {short(title)})")

    def update_opportunity(self, moment: str, title: str, /, **fields: Any) -> Journey:
        """A new journey with fields of ``moment``'s opportunity ``title`` replaced (``title=``
        renames it).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> j = Journey.template("saas").add_opportunity("Advocacy Ask", "Referral bonus")
            >>> j = j.update_opportunity("Advocacy Ask", "Referral bonus", effort=5)
            >>> j.moment("Advocacy Ask").opportunities[0].effort
            5
        """
        bad = [f for f in fields if f not in ("title", *SCORES)]
        if bad:
            raise ValueError(
                f"update_opportunity: unknown field {short(bad[0])}{_did_you_mean(bad[0], ('title', *SCORES))}; "
                f"fields: title, {', '.join(SCORES)}"
            )
        i, k, n = self._opportunity_index(moment, title)
        data = cast("Journey", self).model_dump()
        data["stages"][i]["moments"][k]["opportunities"][n].update(fields)
        return self._rebuild(data, f"update_opportunity({short(moment)}, {short(title)})")

    def remove_opportunity(self, moment: str, title: str) -> Journey:
        """A new journey without ``moment``'s opportunity ``title``.

        Example:
            >>> from cxwidgets.journey import Journey
            >>> j = Journey.template("saas").add_opportunity("Advocacy Ask", "Referral bonus")
            >>> j.remove_opportunity("Advocacy Ask", "Referral bonus").moment("Advocacy Ask").opportunities
            []
        """
        i, k, n = self._opportunity_index(moment, title)
        data = cast("Journey", self).model_dump()
        del data["stages"][i]["moments"][k]["opportunities"][n]
        return self._rebuild(data, f"remove_opportunity({short(moment)}, {short(title)})")

    def _opportunity_index(self, moment: str, title: str) -> tuple[int, int, int]:
        i, k = self._moment_index(moment)
        m = self.stages[i].moments[k]
        key = _lookup(title)
        for n, o in enumerate(m.opportunities):
            if o.title == key:
                return i, k, n
        titles = [o.title for o in m.opportunities]
        raise JourneyKeyError(
            f"moment {short(m.name)} has no opportunity {short(title)}{_did_you_mean(str(title), titles)}; "
            f"its opportunities: {_choices(titles) if titles else '(none yet: add_opportunity)'}"
        )

    def opportunity_table(self) -> list[OpportunityRow]:
        """Every opportunity with its stage, moment, scores, value and quadrant, in journey order:
        the rows of the value x effort view.

        Example:
            >>> from cxwidgets.journey import Journey
            >>> j = Journey.template("saas").add_opportunity("Advocacy Ask", "Referral bonus",
            ...                                              customer_value=2, business_value=5, effort=4)
            >>> row = j.opportunity_table()[0]
            >>> row.moment, row.value, row.quadrant
            ('Advocacy Ask', 3.5, 'big bet')
        """
        return [
            OpportunityRow(s.name, m.name, o.title, o.customer_value, o.business_value, o.effort, o.value, o.quadrant)
            for s in self.stages
            for m in s.moments
            for o in m.opportunities
        ]

    def personas(self) -> list[str]:
        """The personas with an emotion curve (as-is or to-be), at most :data:`MAX_PERSONAS`.

        Example:
            >>> from cxwidgets.journey import Journey
            >>> Journey.template("saas").with_emotions("Admin", {"Advocacy Ask": 1}).personas()
            ['Admin']
        """
        return list(dict.fromkeys([*self.emotions, *self.to_be]))
