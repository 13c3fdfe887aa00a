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
# the scripts an edition in each language is written in (Japanese mixes kana and kanji)
SCRIPTS_OF = {
    "ko": ("hangul",),
    "zh": ("han",),
    "ja": ("kana", "han"),
    "ru": ("cyrillic",),
}
LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "ko": "Korean",
    "zh": "Chinese",
    "ja": "Japanese",
    "ru": "Russian",
}
_COMMON_WORDS = {
    "en": re.compile(r"\b(?:the|and|of|to|with|which)\b"),
    "es": re.compile(r"\b(?:el|los|las|del|y|que|con|por)\b"),
}
SAMPLE = 4000  # characters read: the opening tells the language


def script_counts(text: str) -> dict[str, int]:
    return {name: len(pattern.findall(text)) for name, pattern in _SCRIPTS.items()}


def detected_language(text: str) -> str | None:
    """The language the text is written in, or None when it has too few letters to tell."""
    sample = text[:SAMPLE]
    counts = script_counts(sample) if not sample.isascii() else {"latin": 1}
    script = max(counts, key=counts.__getitem__)
    if counts[script] == 0:
        return None
    if script == "latin":
        lowered = sample.lower()
        en, es = (len(_COMMON_WORDS[x].findall(lowered)) for x in ("en", "es"))
        if en + es < 3:
            return None
        return "en" if en >= es else "es"
    if script in ("kana", "han"):
        return "ja" if counts["kana"] > 0.1 * counts["han"] else "zh"
    return {"hangul": "ko", "cyrillic": "ru"}[script]


def language_mismatch(text: str, language: str) -> str | None:
    """The language found, when the text is clearly not in `language`; else None."""
    found = detected_language(text)
    if found is None or found == language:
        return None
    if language == "ja" and found == "zh":  # kanji-only passages
        return None
    if language not in LANGUAGE_NAMES:  # an edition whose language this cannot tell
        return None
    return found
