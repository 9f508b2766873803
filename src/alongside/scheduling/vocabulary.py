"""The maintained lists behind clinician profiles and client preferences, as data.

Each list maps a stable code (stored in profiles and preferences) to a :class:`Term` with
the label people read and where the term comes from. Codes never change meaning; a clinic
that needs another term adds it here with its source, in a reviewed change.

Lists: ``SPECIALTIES``, ``MODALITIES``, ``POPULATIONS``, ``LANGUAGES``, ``GENDERS``,
``SETTINGS``, ``TIMES_OF_DAY`` (bounded by ``AFTERNOON_FROM`` and ``EVENING_FROM``).
``VOCABULARIES`` names them all; :func:`check_terms` rejects unknown codes, naming them;
:func:`time_of_day` reads a local time as morning, afternoon or evening.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import time
from types import MappingProxyType

from alongside.errors import InvalidInput

__all__ = [
    "AFTERNOON_FROM",
    "EVENING_FROM",
    "GENDERS",
    "LANGUAGES",
    "MODALITIES",
    "POPULATIONS",
    "SETTINGS",
    "SPECIALTIES",
    "TIMES_OF_DAY",
    "VOCABULARIES",
    "Term",
    "check_terms",
    "time_of_day",
]


@dataclass(frozen=True)
class Term:
    """One entry of a maintained list: the label shown and where it comes from."""

    label: str
    source: str


def _frozen(entries: dict[str, Term]) -> Mapping[str, Term]:
    """A read-only view, so no caller can change a list at run time."""
    return MappingProxyType(entries)


_ICD11 = "ICD-11 MMS (WHO, 2022), chapter 06, block"

# Specialties are the areas of difficulty a clinician focuses on, named after the blocks of
# ICD-11 chapter 06 "Mental, behavioural or neurodevelopmental disorders" so that they line up
# with diagnoses in referral letters; self-harm and grief are named by the NICE guideline or
# ICD-11 entry that makes them a focus of care.
SPECIALTIES = _frozen(
    {
        "depression": Term("Depression", f"{_ICD11} 'Depressive disorders'"),
        "bipolar": Term("Bipolar disorder", f"{_ICD11} 'Bipolar or related disorders'"),
        "anxiety": Term("Anxiety", f"{_ICD11} 'Anxiety or fear-related disorders'"),
        "ocd": Term(
            "Obsessive-compulsive and related difficulties",
            f"{_ICD11} 'Obsessive-compulsive or related disorders'",
        ),
        "trauma": Term(
            "Trauma and stress (including PTSD)",
            f"{_ICD11} 'Disorders specifically associated with stress'",
        ),
        "grief": Term(
            "Grief and bereavement",
            "ICD-11 MMS (WHO, 2022), 'Prolonged grief disorder' "
            "(in 'Disorders specifically associated with stress')",
        ),
        "eating": Term("Eating disorders", f"{_ICD11} 'Feeding or eating disorders'"),
        "substance_use": Term(
            "Substance use and addictive behaviours",
            f"{_ICD11} 'Disorders due to substance use or addictive behaviours'",
        ),
        "personality": Term(
            "Personality difficulties", f"{_ICD11} 'Personality disorders and related traits'"
        ),
        "psychosis": Term(
            "Psychosis", f"{_ICD11} 'Schizophrenia or other primary psychotic disorders'"
        ),
        "neurodevelopmental": Term(
            "Neurodevelopmental conditions (autism, ADHD)",
            f"{_ICD11} 'Neurodevelopmental disorders'",
        ),
        "perinatal": Term(
            "Perinatal mental health",
            f"{_ICD11} 'Mental or behavioural disorders associated with pregnancy, "
            "childbirth or the puerperium'",
        ),
        "self_harm": Term("Self-harm", "NICE NG225, Self-harm: assessment, management (2022)"),
    }
)

# Modalities are named after the guidance that recommends them for the problems clinics see.
MODALITIES = _frozen(
    {
        "cbt": Term(
            "Cognitive behavioural therapy (CBT)",
            "NICE NG222 (depression in adults, 2022); NICE CG113 (anxiety); "
            "NHS Talking Therapies Manual (2023)",
        ),
        "tf_cbt": Term("Trauma-focused CBT", "NICE NG116 (post-traumatic stress disorder, 2018)"),
        "emdr": Term(
            "Eye movement desensitisation and reprocessing (EMDR)",
            "NICE NG116 (post-traumatic stress disorder, 2018)",
        ),
        "erp": Term(
            "CBT with exposure and response prevention (ERP)",
            "NICE CG31 (obsessive-compulsive disorder and body dysmorphic disorder, 2005)",
        ),
        "cbt_ed": Term("CBT for eating disorders (CBT-ED)", "NICE NG69 (eating disorders, 2017)"),
        "dbt": Term(
            "Dialectical behaviour therapy (DBT)",
            "Linehan 1993, Cognitive-Behavioral Treatment of Borderline Personality Disorder; "
            "NICE CG78 (borderline personality disorder, 2009)",
        ),
        "ba": Term("Behavioural activation", "NICE NG222 (depression in adults, 2022)"),
        "ipt": Term(
            "Interpersonal psychotherapy (IPT)",
            "NICE NG222 (depression in adults, 2022); NHS Talking Therapies Manual (2023)",
        ),
        "cfd": Term("Counselling for depression", "NHS Talking Therapies Manual (2023)"),
        "dit": Term("Dynamic interpersonal therapy (DIT)", "NHS Talking Therapies Manual (2023)"),
        "psychodynamic": Term(
            "Short-term psychodynamic psychotherapy", "NICE NG222 (depression in adults, 2022)"
        ),
        "mbct": Term(
            "Mindfulness-based cognitive therapy (MBCT)",
            "NICE NG222 (depression in adults, 2022), relapse prevention",
        ),
        "act": Term(
            "Acceptance and commitment therapy (ACT)",
            "NICE NG193 (chronic pain, 2021)",
        ),
        "couples": Term("Couples therapy for depression", "NHS Talking Therapies Manual (2023)"),
        "family": Term(
            "Family therapy",
            "NICE NG69 (eating disorders, 2017), family therapy for anorexia nervosa",
        ),
    }
)

# Populations are the groups a clinician is trained and permitted to see. Age bands are the
# clinic's to set; the labels follow WHO usage (adolescents 10-19 years, older people 60+).
POPULATIONS = _frozen(
    {
        "children": Term(
            "Children (under 10)", "WHO definition of adolescence (10-19) sets the upper bound"
        ),
        "adolescents": Term("Adolescents (10-19)", "WHO, adolescent health (10-19 years)"),
        "adults": Term("Adults", "WHO age groupings"),
        "older_adults": Term("Older adults (60 and over)", "WHO, ageing and health (60+)"),
        "couples": Term("Couples", "NHS Talking Therapies Manual (2023), couples therapy"),
        "families": Term("Families", "NICE NG69 (eating disorders, 2017), family therapy"),
    }
)

_ISO = "ISO 639-1 (Library of Congress, registration authority)"
_ISO3 = "ISO 639-3 (SIL International, registration authority)"

# Languages are BCP 47 primary language subtags: ISO 639-1 where one exists, else ISO 639-3
# (sign languages have only ISO 639-3 codes). Labels are the English names.
LANGUAGES = _frozen(
    {
        "ar": Term("Arabic", _ISO),
        "bn": Term("Bengali", _ISO),
        "de": Term("German", _ISO),
        "el": Term("Greek", _ISO),
        "en": Term("English", _ISO),
        "es": Term("Spanish", _ISO),
        "fa": Term("Persian (Farsi)", _ISO),
        "fr": Term("French", _ISO),
        "gu": Term("Gujarati", _ISO),
        "he": Term("Hebrew", _ISO),
        "hi": Term("Hindi", _ISO),
        "ht": Term("Haitian Creole", _ISO),
        "it": Term("Italian", _ISO),
        "ja": Term("Japanese", _ISO),
        "ko": Term("Korean", _ISO),
        "pa": Term("Punjabi", _ISO),
        "pl": Term("Polish", _ISO),
        "ps": Term("Pashto", _ISO),
        "pt": Term("Portuguese", _ISO),
        "ro": Term("Romanian", _ISO),
        "ru": Term("Russian", _ISO),
        "so": Term("Somali", _ISO),
        "sw": Term("Swahili", _ISO),
        "ta": Term("Tamil", _ISO),
        "tl": Term("Tagalog", _ISO),
        "tr": Term("Turkish", _ISO),
        "uk": Term("Ukrainian", _ISO),
        "ur": Term("Urdu", _ISO),
        "vi": Term("Vietnamese", _ISO),
        "zh": Term("Chinese", _ISO),
        "ase": Term("American Sign Language", _ISO3),
        "bfi": Term("British Sign Language", _ISO3),
    }
)

# Gender is the clinician's as they state it; a client's preference is a wish, never a filter.
GENDERS = _frozen(
    {
        "woman": Term("Woman", "self-described by the clinician"),
        "man": Term("Man", "self-described by the clinician"),
        "non_binary": Term("Non-binary", "self-described by the clinician"),
    }
)

SETTINGS = _frozen(
    {
        "in_person": Term("In person", "Alongside: the two ways a session can be held"),
        "telehealth": Term(
            "Telehealth (video or phone)", "Alongside: the two ways a session can be held"
        ),
    }
)

# Times of day in the client's local clock; the boundaries are plain-language conventions.
TIMES_OF_DAY = _frozen(
    {
        "morning": Term("Morning (before 12:00)", "plain-language convention"),
        "afternoon": Term("Afternoon (12:00 to 17:00)", "plain-language convention"),
        "evening": Term("Evening (from 17:00)", "plain-language convention"),
    }
)

# Where afternoon and evening begin on the local clock.
AFTERNOON_FROM = time(12)
EVENING_FROM = time(17)

VOCABULARIES: Mapping[str, Mapping[str, Term]] = MappingProxyType(
    {
        "specialty": SPECIALTIES,
        "modality": MODALITIES,
        "population": POPULATIONS,
        "language": LANGUAGES,
        "gender": GENDERS,
        "setting": SETTINGS,
        "time_of_day": TIMES_OF_DAY,
    }
)


def time_of_day(local: time) -> str:
    """The time-of-day code (morning, afternoon, evening) of a local wall-clock time."""
    if local < AFTERNOON_FROM:
        return "morning"
    return "afternoon" if local < EVENING_FROM else "evening"


def check_terms(kind: str, codes: Iterable[str]) -> None:
    """Raise ``InvalidInput`` naming every code not in the ``kind`` list."""
    if kind not in VOCABULARIES:
        raise InvalidInput(f"Unknown vocabulary {kind!r}; known: {', '.join(VOCABULARIES)}.")
    known = VOCABULARIES[kind]
    unknown = sorted({code for code in codes if code not in known})
    if unknown:
        raise InvalidInput(
            f"Unknown {kind} {', '.join(repr(c) for c in unknown)}; "
            f"known: {', '.join(sorted(known))}."
        )
