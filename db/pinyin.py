"""Pinyin for names, and the prefix-search keys stored with each deputy.

A deputy named 李俊峰 is found by 李俊峰, 俊峰, 'li jun feng', 'lijunfeng', 'junfeng' and
'ljf'. The keys are computed once when the row is written and indexed (GIN over a
tsvector built from literal lexemes), so a search is an index lookup with prefix
matching and never computes pinyin per row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from pypinyin import Style
from pypinyin.converter import UltimateConverter
from pypinyin.core import Pinyin

_NOT_KEY = re.compile(r"[^0-9a-z\u3400-\u9fff]+")


class _RememberingConverter(UltimateConverter):
    """pypinyin's converter (as `lazy_pinyin` builds it) remembering each segment's result:
    names are made of a few thousand segments (李, 俊峰, ...), and converting one costs
    far more than looking it up."""

    def __init__(self) -> None:
        super().__init__()
        self._seen: dict[tuple[object, ...], tuple[tuple[str, ...], ...]] = {}

    def convert(
        self,
        words: str,
        style: Style,
        heteronym: bool,
        errors: Callable[[str], str] | str,
        strict: bool = True,
        **kwargs: Any,
    ) -> list[list[str]]:
        key = (words, style, heteronym, errors, strict, *sorted(kwargs.items()))
        found = self._seen.get(key)
        if found is None:
            if len(self._seen) >= 65_536:  # a bound, whatever names arrive
                self._seen.clear()
            converted = super().convert(words, style, heteronym, errors, strict, **kwargs)
            found = self._seen[key] = tuple(tuple(syllables) for syllables in converted)
        return [list(syllables) for syllables in found]


_PINYIN = Pinyin(_RememberingConverter())


@cache  # names repeat a lot, and search_keys needs the pinyin again
def name_pinyin(name: str) -> str:
    """Toneless, space-separated syllables: '李俊峰' -> 'li jun feng'."""
    syllables = _PINYIN.lazy_pinyin(name, style=Style.NORMAL)
    return " ".join(s for s in syllables if s.strip()).lower()


def search_keys(name: str) -> list[str]:
    """Every suffix of the name, of its joined pinyin (at syllable starts) and of its initials."""
    chars = [c for c in name if not c.isspace()]
    syllables = name_pinyin(name).split()
    keys: set[str] = set()
    for i in range(len(chars)):
        keys.add("".join(chars[i:]))
    for i in range(len(syllables)):
        keys.add("".join(syllables[i:]))
        keys.add("".join(s[0] for s in syllables[i:]))
    return sorted(k for k in keys if k)


def _tsvector_literal(keys: list[str]) -> str:
    return " ".join("'" + k.replace("'", "''") + "'" for k in keys)


def search_vector(name: str) -> str:
    """The tsvector text stored in deputies.search_vector."""
    return _tsvector_literal(search_keys(name))


def search_query(text: str) -> str | None:
    """A tsquery matching keys that start with the normalised input, or None if nothing is left.

    Spaces are dropped ('li jun feng' -> 'lijunfeng'), so the query is one prefix term.
    """
    term = _NOT_KEY.sub("", text.lower())
    if not term:
        return None
    return f"'{term}':*"
