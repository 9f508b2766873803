"""Which language a client wrote in, so that text the reader cannot read goes to a person.

The detector is py3langid (BSD-3-Clause; a Naive Bayes model over byte n-grams that ships in
its wheel, 97 languages). The reader is validated for English only: a text detected as
another language is read at least ``moderate`` with ``needs_human_reading`` (never ``none``).

Short English texts are easily taken for something else ("im done" scores highest as Serbian),
so the detector is trusted only when it is confident and the text is long enough, and never
against a text whose words are mostly common English words. Pure functions, loaded once.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any, Final

VALIDATED: Final = frozenset({"en"})
# Below these the text is read as English (the language the reader is validated for): a
# confident detection of another language on a text this short is more often a mistake.
MIN_LETTERS: Final = 12
MIN_CONFIDENCE: Final = 0.80
MIN_CONFIDENCE_NO_ENGLISH: Final = 0.50
# Varieties the detector separates from English but the reader reads as English.
ENGLISH_VARIETIES: Final = frozenset({"en", "pcm", "sco"})

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
# Common English words, including the forms people type without apostrophes (leaving out
# words other languages share: "a", "me", "no", "in", "is", "was", "will", "we", "so").
_ENGLISH: Final = frozenset(
    """
    i im ive id ill my mine myself you your he she it its they them their our us
    the and or but if then than that this these those to of at for with from
    by about are were be been being have has had do does did dont didnt doesnt
    cant cannot wont wouldnt isnt wasnt not yes just really very all any some more most
    what when where why how who which there here now today tonight again still ever
    never always feel feeling felt want wanted think thinking know knew get got going gonna
    wanna like can could would should anymore much too also up down out off
    been life day days week weeks night time things thing everything nothing anything
    someone anyone everyone nobody
    """.split()
)

# Names of the languages py3langid knows, for a reason a clinician reads.
NAMES: Final[dict[str, str]] = {
    "ace": "Acehnese", "af": "Afrikaans", "am": "Amharic", "an": "Aragonese", "ar": "Arabic",
    "ary": "Moroccan Arabic", "arz": "Egyptian Arabic", "as": "Assamese", "az": "Azerbaijani",
    "ba": "Bashkir", "bcl": "Central Bikol", "be": "Belarusian", "bg": "Bulgarian",
    "bn": "Bengali", "br": "Breton", "bs": "Bosnian", "ca": "Catalan",
    "crh": "Crimean Tatar", "cs": "Czech", "cy": "Welsh", "da": "Danish", "de": "German",
    "dz": "Dzongkha", "el": "Greek", "en": "English", "eo": "Esperanto", "es": "Spanish",
    "et": "Estonian", "eu": "Basque", "ext": "Extremaduran", "fa": "Persian", "fi": "Finnish",
    "fo": "Faroese", "fr": "French", "fuv": "Fulfulde", "fy": "Frisian", "ga": "Irish",
    "gcf": "Guadeloupean Creole", "gcr": "Guianese Creole", "gd": "Scottish Gaelic",
    "gl": "Galician", "gom": "Konkani", "grc": "Ancient Greek", "gu": "Gujarati",
    "gug": "Guarani", "guw": "Gun", "ha": "Hausa", "hbo": "Ancient Hebrew", "he": "Hebrew",
    "hi": "Hindi", "hr": "Croatian", "ht": "Haitian Creole", "hu": "Hungarian",
    "hy": "Armenian", "id": "Indonesian", "ig": "Igbo", "is": "Icelandic", "it": "Italian",
    "ja": "Japanese", "jv": "Javanese", "ka": "Georgian", "kab": "Kabyle", "kik": "Kikuyu",
    "kk": "Kazakh", "km": "Khmer", "kn": "Kannada", "ko": "Korean", "ku": "Kurdish",
    "ky": "Kyrgyz", "la": "Latin", "lb": "Luxembourgish", "lg": "Luganda", "lij": "Ligurian",
    "ln": "Lingala", "lo": "Lao", "lt": "Lithuanian", "ltg": "Latgalian", "lv": "Latvian",
    "mg": "Malagasy", "mk": "Macedonian", "ml": "Malayalam", "mn": "Mongolian",
    "mr": "Marathi", "ms": "Malay", "mt": "Maltese", "my": "Burmese", "ne": "Nepali",
    "nl": "Dutch", "nn": "Norwegian Nynorsk", "no": "Norwegian", "nso": "Northern Sotho",
    "oc": "Occitan", "om": "Oromo", "or": "Odia", "pa": "Punjabi", "pcm": "Nigerian Pidgin",
    "pl": "Polish", "ps": "Pashto", "pt": "Portuguese", "qu": "Quechua", "ro": "Romanian",
    "ru": "Russian", "rw": "Kinyarwanda", "sa": "Sanskrit", "sdh": "Southern Kurdish",
    "se": "Northern Sami", "si": "Sinhala", "sk": "Slovak", "sl": "Slovenian", "sn": "Shona",
    "so": "Somali", "sq": "Albanian", "sr": "Serbian", "st": "Sesotho", "sv": "Swedish",
    "sw": "Swahili", "ta": "Tamil", "te": "Telugu", "tg": "Tajik", "th": "Thai",
    "tk": "Turkmen", "tl": "Tagalog", "tr": "Turkish", "tt": "Tatar", "ug": "Uyghur",
    "uk": "Ukrainian", "ur": "Urdu", "uz": "Uzbek", "uzs": "Southern Uzbek", "vec": "Venetian",
    "vi": "Vietnamese", "vo": "Volapük", "wa": "Walloon", "wuu": "Wu Chinese", "xh": "Xhosa",
    "yo": "Yoruba", "yue": "Cantonese", "zh": "Chinese", "zu": "Zulu",
}  # fmt: skip


@dataclass(frozen=True)
class Detected:
    """The language read for a text: ISO 639 code, the detector's confidence, its name."""

    code: str
    confidence: float

    @property
    def name(self) -> str:
        """The language's English name ("Spanish"), or a description when unknown."""
        return NAMES.get(self.code, f"a language other than English ({self.code})")

    @property
    def validated(self) -> bool:
        """True when the reader is validated for this language."""
        return self.code in VALIDATED


_identifier: Any = None
_lock = threading.Lock()


def load_detector() -> Any:
    """The detector's model, loaded once per process."""
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        return _identifier


def english_share(text: str) -> float:
    """Share of the words (letters only) that are common English words."""
    words = [w.lower().replace("'", "") for w in _WORD.findall(text)]
    if not words:
        return 0.0
    return sum(w in _ENGLISH for w in words) / len(words)


def _non_latin_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(ord(c) > 0x24F for c in letters) / len(letters)


def detect(text: str) -> Detected:
    """The language of ``text``; English unless another language is read with confidence."""
    letters = sum(c.isalpha() for c in text)
    if letters == 0:
        return Detected("en", 0.0)
    non_latin = _non_latin_share(text)
    ranked = load_detector().rank(text)
    code, confidence = str(ranked[0][0]), float(ranked[0][1])
    if non_latin >= 0.5:
        # Another script is not English whatever the detector's confidence.
        return Detected(code, confidence)
    if code in ENGLISH_VARIETIES:
        return Detected("en", confidence)
    share = english_share(text)
    if letters < MIN_LETTERS or share >= 0.4:
        return Detected("en", confidence)
    if share == 0.0 and confidence >= MIN_CONFIDENCE_NO_ENGLISH:
        # Not one common English word: a weaker detection of another language is enough.
        return Detected(code, confidence)
    if confidence < MIN_CONFIDENCE or (share >= 0.2 and confidence < 0.95):
        return Detected("en", confidence)
    return Detected(code, confidence)
