"""Segmentation: a page's clean text into articles, and articles into sentences.

Newspaper pages carry several articles. An article starts at a lead (``本报讯``,
``本报记者``, ``记者…报道``) or at a headline: one or more short paragraphs with no closing
punctuation, which become the article's title. Spans are clean-text offsets.
"""
from __future__ import annotations

from dataclasses import dataclass

import regex

_LEAD = regex.compile(r"^(?:■\s*)?(?:本报讯|本报记者|本报通讯员|记者|通讯员|新华社|本刊讯|[^\s，。]{0,6}讯[（(])")
_END_PUNCT = "。！？!?；;：:”」』…)）"
_SENT = regex.compile(r"[^。！？!?；;\n]*(?:[。！？!?；;]+[”’」』]?|\n|$)")


@dataclass(frozen=True)
class Article:
    index: int
    start: int   # clean offsets
    end: int
    title: str


def paragraphs(text: str) -> list[tuple[int, int]]:
    out = []
    pos = 0
    for part in text.split("\n"):
        if part.strip():
            out.append((pos, pos + len(part)))
        pos += len(part) + 1
    return out


def _is_headline(t: str) -> bool:
    """Is the (stripped) paragraph t a headline?"""
    return 2 <= len(t) <= 40 and t[-1] not in _END_PUNCT and not any(c in t for c in "。，,；;") and not _LEAD.match(t)


def articles(text: str) -> list[Article]:
    """Split clean text into articles; every character belongs to exactly one."""
    paras = paragraphs(text)
    if not paras:
        return [Article(0, 0, len(text), "")]
    starts: list[tuple[int, str]] = []   # (clean offset, title)
    pending: list[tuple[int, int]] = []  # headline paragraphs waiting for their body
    bodies = [text[a:b].strip() for a, b in paras]
    leads = [_LEAD.match(body) is not None for body in bodies]
    heads = [_is_headline(body) for body in bodies]
    # a short line with a comma is a subtitle when a lead or a headline follows it
    for i in range(len(paras) - 2, -1, -1):
        body = bodies[i]
        if not heads[i] and 2 <= len(body) <= 30 and body[-1] not in _END_PUNCT \
                and "。" not in body and (heads[i + 1] or leads[i + 1]):
            heads[i] = True
    for (a, b), is_head, is_lead in zip(paras, heads, leads):
        if is_head:
            pending.append((a, b))
            continue
        if pending or is_lead:
            title = " ".join(text[x:y].strip() for x, y in pending)
            starts.append((pending[0][0] if pending else a, title))
        pending = []
    if not starts or starts[0][0] > paras[0][0]:
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
