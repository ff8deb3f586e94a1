"""Text analysis for project search: how Chinese, Latin and digits become terms.

No dictionary, no segmenter: Han text is indexed as overlapping character
bigrams (plus single characters of the title), Latin letters and digits as
words with their prefixes. Users type Chinese without spaces and stop
mid-word; bigrams match any substring of two or more Han characters without
knowing where words end (``武汉医疗`` finds ``武汉市医疗物资``'s ``武汉`` and
``医疗``), and a new name (``雷神山``) needs no dictionary update. The price is
some imprecision: the tiling bigrams of the query must occur, but not necessarily
next to each other (``武汉医疗`` = 武汉 + 医疗, anywhere in the project). See docs/readme/search.md.

The exact semantics (which the property test checks against a brute-force
filter) are:

* text is NFKC-normalised and lower-cased; it splits into *Han runs*
  (consecutive CJK ideographs) and *words* (consecutive ``[a-z0-9]``);
  anything else separates;
* a query Han run of 2+ characters becomes the bigrams that tile it (``武汉医疗`` ->
  武汉 + 医疗; odd lengths end with an overlapping pair); a query Han run of 1
  character becomes that character; a query word becomes itself (cut to
  ``MAX_PREFIX`` characters) and matches any indexed word it is a prefix of;
* a project matches ``q`` when every query term matches its title or its
  body (summary + description + category + province + city); a single Han character matches the title
  anywhere, the body only as a one-character run (bodies are not indexed
  character by character: it would double the index for queries nobody
  types).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_PREFIX = 15
MAX_QUERY_TERMS = 32

_HAN = (
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uf900-\ufaff"  # compatibility ideographs
    "\U00020000-\U0002ebef"  # extensions B-F
)
_TOKEN = re.compile(f"([{_HAN}]+)|([a-z0-9]+)")


def normalize(text: str) -> str:
    """NFKC (full-width ``２０２０`` -> ``2020``) and lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def runs(text: str) -> list[tuple[str, str]]:
    """``[("han", "武汉"), ("word", "2020"), ...]`` in order of appearance."""
    found: list[tuple[str, str]] = []
    for match in _TOKEN.finditer(normalize(text)):
        han, word = match.groups()
        found.append(("han", han) if han else ("word", word))
    return found


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _prefixes(word: str) -> list[str]:
    return [word[:n] for n in range(1, min(len(word), MAX_PREFIX) + 1)]


def index_terms(text: str, *, with_unigrams: bool) -> set[str]:
    """The terms a field is indexed under (``with_unigrams`` for titles)."""
    terms: set[str] = set()
    for kind, run in runs(text):
        if kind == "word":
            terms.update(_prefixes(run))
            continue
        terms.update(_bigrams(run))
        if with_unigrams or len(run) == 1:
            terms.update(run)
    return terms


def _tiling_bigrams(run: str) -> list[str]:
    """Bigrams that cover the run without the ones straddling a likely word boundary:
    ``武汉医疗`` -> 武汉 医疗 (not 汉医), ``白血病患儿`` -> 白血 病患 患儿. Requiring the straddling
    bigrams too would miss 武汉 + 医疗 written apart, which is what a donor means."""
    pieces = [run[i : i + 2] for i in range(0, len(run) - 1, 2)]
    if len(run) % 2:
        pieces.append(run[-2:])
    return pieces


def query_terms(q: str) -> list[str]:
    """The terms every match must contain, in query order, without repeats."""
    ordered: list[str] = []
    for kind, run in runs(q):
        pieces = [run[:MAX_PREFIX]] if kind == "word" else (_tiling_bigrams(run) if len(run) > 1 else [run])
        for piece in pieces:
            if piece not in ordered:
                ordered.append(piece)
    return ordered[:MAX_QUERY_TERMS]


@dataclass(frozen=True)
class ProjectTerms:
    """A project's searchable text as the index sees it."""

    title: frozenset[str]
    body: frozenset[str]

    @classmethod
    def of(cls, title: str, summary: str, description: str) -> ProjectTerms:
        body = index_terms(summary, with_unigrams=False) | index_terms(description, with_unigrams=False)
        return cls(frozenset(index_terms(title, with_unigrams=True)), frozenset(body))

    @property
    def all(self) -> frozenset[str]:
        return self.title | self.body


def relevance(terms: list[str], in_title: set[str], in_body: set[str]) -> int:
    """Two points per query term found in the title, one per term found only in
    the body: a project matching in its title outranks one matching in its body."""
    return sum(2 if t in in_title else 1 if t in in_body else 0 for t in terms)
