"""The words of the reports: column labels, figure titles, benefit kinds, outcomes, ESF situations.

Every label is an English message id marked with `_l` so `make i18n` extracts it into the same
catalogue as the pages; `translate(text, lang)` looks it up there (Babel, no Flask), so the API,
the CLI and the pages name a column the same way in Polish and English.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
LANGUAGES = ("pl", "en")


def _l(text: str) -> str:
    """Mark a message for extraction; it is translated when shown (see `translate`)."""
    return text


@lru_cache(maxsize=4)
def _catalogue(lang: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS), [lang])


def translate(text: str, lang: str) -> str:
    """`text` (an English message id) in `lang`; English and unknown texts are returned as they are."""
    if lang == "en" or not text:
        return text
    return str(_catalogue(lang).gettext(text))


BENEFITS = {
    "social_assistance": _l("Social assistance benefit"),
    "housing_allowance": _l("Housing allowance"),
    "family_benefits": _l("Family benefits"),
    "alimony_fund": _l("Alimony fund"),
    "socially_useful_work": _l("Socially useful work"),
    "medical_check": _l("Medical checks"),
    "course": _l("Training and courses"),
    "internship_stipend": _l("Internship stipend"),
    "childcare": _l("Childcare"),
    "care_services": _l("Care services"),
}
OUTCOMES = {
    "trained": _l("Vocational training completed"),
    "socially_useful_work": _l("Socially useful work"),
    "internship": _l("Internship started"),
    "employed": _l("Employed on the open market"),
    "contract_signed": _l("Social contract signed"),
    "housing_step_up": _l("Moved up the housing ladder"),
    "exited": _l("Left the programme"),
    "moved_away": _l("Moved away"),  # a case closed early (`engine.lifecycle`, `close_outcomes`)
}
#: the outcomes every partnership report shows, also when nobody reached them
CORE_OUTCOMES = ("trained", "socially_useful_work", "internship", "employed")
SITUATIONS = {
    "unemployed": _l("Unemployed"),
    "inactive": _l("Inactive"),
    "employed": _l("Employed"),
    "self_employed": _l("Self-employed"),
    "in_education": _l("In education or training"),
}
ESF_FIELDS = {
    "entry_date": _l("Entry date"),
    "entry_situation": _l("Situation at entry"),
    "exit_date": _l("Exit date"),
    "exit_situation": _l("Situation at exit"),
    "situation_6m": _l("Situation 6 months after exit"),
}
STATUSES = {
    "active": _l("active"),
    "completed": _l("completed"),
    "failed": _l("failed"),
    "cancelled": _l("cancelled"),
    "closed": _l("closed"),
    "suspended": _l("suspended"),
}
YES, NO = _l("yes"), _l("no")
NO_STAGE = _l("(no stage yet)")


def name_of(table: Mapping[str, str], key: str | None, lang: str) -> str:
    """The translated name of a known key, or the key itself (a new benefit kind needs no code)."""
    if key is None:
        return ""
    return translate(table[key], lang) if key in table else key

#: figure name -> title
TITLES = {
    "stages": _l("Cases per stage now"),
    "funnel": _l("Stage funnel"),
    "stage-times": _l("Time in each stage"),
    "activities": _l("Activities"),
    "open-tasks": _l("Open and overdue tasks per agency and role"),
    "workload": _l("Workload per person"),
    "hours": _l("Service hours by agency"),
    "hours-by-role": _l("Service hours by specialist"),
    "benefits": _l("Benefits paid"),
    "outcomes": _l("Outcomes"),
    "esf": _l("ESF participants"),
}
