"""Segmentation: a page's clean text into articles, and articles into sentences.

Newspaper pages carry several articles. An article starts at a lead (``本报讯``,
``本报记者``, ``记者…报道``) or at a headline: one or more short paragraphs with no closing
punctuation, which become the article's title. Spans are clean-text offsets.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate

import regex

_LEAD = regex.compile(r"^(?:■\s*)?(?:本报讯|本报记者|本报通讯员|记者|通讯员|新华社|本刊讯|[^\s，。]{0,6}讯[（(])")
_LEAD_WORDS = ("讯", "记者", "新华社")  # every lead holds one (tests/test_segment.py checks)
_END_PUNCT = "。！？!?；;：:”」』…)）"
_SENT = regex.compile(r"[^。！？!?；;\n]*(?:[。！？!?；;]+[”’」』]?|\n|$)")


@dataclass(frozen=True)
class Article:
    index: int
    start: int   # clean offsets
    end: int
    title: str


def _is_lead(t: str) -> bool:
    """Does the (stripped) paragraph t start with a lead (本报讯, 记者…报道)? Every lead of
    _LEAD has 讯, 记者 or 新华社 in it: a paragraph without them is no lead, without a match."""
    return any(w in t for w in _LEAD_WORDS) and _LEAD.match(t) is not None


def _is_headline(t: str, lead: bool) -> bool:
    """Is the (stripped) paragraph t a headline? lead: whether it starts with a lead."""
    return 2 <= len(t) <= 40 and t[-1] not in _END_PUNCT \
        and not ("。" in t or "，" in t or "," in t or "；" in t or ";" in t) and not lead


def _lead_candidates(text: str, paras: list[int]) -> set[int]:
    """The paragraphs (indices into paras, their starts) that hold one of _LEAD_WORDS: the
    words are looked for once in the page, not in every paragraph (they hold no line break)."""
    out: set[int] = set()
    for w in _LEAD_WORDS:
        i = text.find(w)
        while i >= 0:
            out.add(bisect_right(paras, i) - 1)
            i = text.find(w, i + 1)
    out.discard(-1)
    return out


def articles(text: str) -> list[Article]:
    """Split clean text into articles; every character belongs to exactly one."""
    parts = text.split("\n")
    paras = list(accumulate([len(p) + 1 for p in parts[:-1]], initial=0))  # where the lines start
    bodies = list(map(str.strip, parts))  # and their text, stripped
    if "" in bodies:  # only lines with text are paragraphs
        paras = [a for a, body in zip(paras, bodies) if body]
        bodies = [body for body in bodies if body]
        if not paras:
            return [Article(0, 0, len(text), "")]
    leads = [False] * len(paras)
    for i in _lead_candidates(text, paras):
        leads[i] = _is_lead(bodies[i])
    heads = [_is_headline(body, lead) for body, lead in zip(bodies, leads)]
    # a short line with a comma is a subtitle when a lead or a headline follows it
    for i in range(len(paras) - 2, -1, -1):
        body = bodies[i]
        if not heads[i] and 2 <= len(body) <= 30 and body[-1] not in _END_PUNCT \
                and "。" not in body and (heads[i + 1] or leads[i + 1]):
            heads[i] = True
    starts: list[tuple[int, str]] = []  # (clean offset, title)
    pending: list[str] = []  # headline paragraphs waiting for their body
    pending_start = 0  # where the first of them starts
    for a, body, is_head, is_lead in zip(paras, bodies, heads, leads):
        if is_head:
            if not pending:
                pending_start = a
            pending.append(body)
            continue
        if pending:
            starts.append((pending_start, " ".join(pending)))
            pending = []
        elif is_lead:
            starts.append((a, ""))
    if not starts or starts[0][0] > paras[0]:
        starts.insert(0, (0, ""))
    else:
        starts[0] = (0, starts[0][1])
    out = []
    for i, (s, title) in enumerate(starts):
        e = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        out.append(Article(i, s, e, title))
    return out


def sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans of text[start:end] (clean offsets), split at 。！？； and paragraph breaks."""
    end = len(text) if end is None else end
    out = []
    for m in _SENT.finditer(text, start, end):
        a, b = m.span()
        if b > a and text[a:b].strip():
            out.append((a, b))
    return out
