"""The declared source registry (schemas/sources.json): label -> slug, site, language, priority."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from kcna_dataset.declarations import read_declaration


@dataclass(frozen=True, slots=True)
class Source:
    source: str
    label: str
    site: str
    language: str
    priority: int
    url_prefixes: tuple[str, ...]


class SourceRegistry:
    def __init__(self, sources: list[Source]) -> None:
        self.sources = sorted(sources, key=lambda s: s.priority)
        self._by_label = {s.label: s for s in self.sources}
        self._by_slug = {s.source: s for s in self.sources}

    @classmethod
    def load(cls) -> SourceRegistry:
        data = json.loads(read_declaration("sources.json"))
        return cls(
            [Source(**{**s, "url_prefixes": tuple(s["url_prefixes"])}) for s in data["sources"]]
        )

    def by_label(self, label: str) -> Source | None:
        return self._by_label.get(label)

    def by_slug(self, slug: str) -> Source:
        return self._by_slug[slug]

    def by_url(self, url: str) -> Source | None:
        """The outlet whose URL prefix matches (scheme and a leading `www.` ignored)."""
        try:
            parts = urlsplit(url.strip())
        except ValueError:  # `http://[::1/x`: not a URL the parser can split, no outlet's
            return None
        host = parts.netloc.lower().removeprefix("www.")
        if not host:
            return None
        key = host + parts.path
        for s in self.sources:
            if any(key.startswith(p) for p in s.url_prefixes):
                return s
        return None
