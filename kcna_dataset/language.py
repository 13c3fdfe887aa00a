"""Is a text written in its outlet's language? Told by script, and English from Spanish by their
commonest words: enough to catch a record filed under the wrong edition (a Korean text from
`kcna.kp/kp/` under the English outlet), not a language identifier."""

from __future__ import annotations

import re

# letters by script
_SCRIPTS = {
    "hangul": re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]"),
    "han": re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"),
    "kana": re.compile(r"[\u3040-\u30ff\u31f0-\u31ff]"),
    "cyrillic": re.compile(r"[\u0400-\u04ff]"),
    "latin": re.compile(r"[A-Za-z\u00c0-\u024f]"),
}
LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "ko": "Korean",
    "zh": "Chinese",
    "ja": "Japanese",
    "ru": "Russian",
}
# the commonest words, with the spaces around them (str.count: no regular expression)
_COMMON_WORDS = {
    "en": (" the ", " and ", " of ", " to ", " with ", " which "),
    "es": (" el ", " los ", " las ", " del ", " y ", " que ", " con ", " por "),
}
# a letter of a script other than Latin: most texts have none, and are told by one search
_NOT_LATIN = re.compile(
    "[\u0400-\u04ff\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)
SAMPLE = 1000  # characters read: the opening sentences tell the language


def script_counts(text: str) -> dict[str, int]:
    return {name: len(pattern.findall(text)) for name, pattern in _SCRIPTS.items()}


def detected_language(text: str) -> str | None:
    """The language the text is written in, or None when it has too few letters to tell."""
    sample = text[:SAMPLE]
    if _latin_only(sample):
        return _latin_language(_spaced_lower(sample))
    counts = script_counts(sample)
    script = max(counts, key=counts.__getitem__)
    if counts[script] == 0:
        return None
    if script == "latin":
        return _latin_language(_spaced_lower(sample))
    if script in ("kana", "han"):
        return "ja" if counts["kana"] > 0.1 * counts["han"] else "zh"
    return {"hangul": "ko", "cyrillic": "ru"}[script]


def _latin_only(sample: str) -> bool:
    return sample.isascii() or _NOT_LATIN.search(sample) is None


def _spaced_lower(sample: str) -> str:
    """The sample as its common words are counted in: lower case, lines joined by spaces,
    a space at each end."""
    return " " + sample.lower().replace("\n", " ") + " "


def _common_words(lowered: str, language: str) -> int:
    return sum(map(lowered.count, _COMMON_WORDS[language]))


def _latin_language(lowered: str) -> str | None:
    return _english_or_spanish(_common_words(lowered, "en"), _common_words(lowered, "es"))


def _english_or_spanish(en: int, es: int) -> str | None:
    """English or Spanish by how many of their common words a text holds, or None when there
    are too few to tell."""
    if en + es < 3:
        return None
    return "en" if en >= es else "es"


def language_mismatch(text: str, language: str) -> str | None:
    """The language found, when the text is clearly not in `language`; else None."""
    if language not in LANGUAGE_NAMES:  # an edition whose language this cannot tell
        return None
    sample = text[:SAMPLE]
    if language in _COMMON_WORDS and _latin_only(sample):
        # an English (Spanish) outlet's Latin text is found to be in the other language only
        # if some of that language's common words are there: most texts have none, and are
        # told by 8 (6) counts instead of 14 (15.7 -> ~9 us a page)
        lowered = _spaced_lower(sample)
        other = "es" if language == "en" else "en"
        if not (theirs := _common_words(lowered, other)):
            return None
        ours = _common_words(lowered, language)
        found = _english_or_spanish(*((ours, theirs) if language == "en" else (theirs, ours)))
    else:
        found = detected_language(text)
    if found is None or found == language:
        return None
    if language == "ja" and found == "zh":  # kanji-only passages
        return None
    return found
