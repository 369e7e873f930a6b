"""The per-document journey: clean text -> articles -> figures -> meaning -> raw offsets."""
from __future__ import annotations

import datetime as dt

from .figures import Figure, find
from .interpret import interpret
from .segment import Article, articles
from .textclean import clean


def analyse(raw: str, published: dt.date | None = None, place: str | None = None, meaning: bool = True
            ) -> tuple[list[Article], list[Figure], "object"]:
    """Figures of one page with raw offsets, and its articles (raw offsets too).
    With ``meaning=False`` the figures come without metric, subject, period and status."""
    c = clean(raw)
    arts = articles(c.text)
    figs = find(c.text)
    if meaning:
        interpret(c.text, arts, figs, published=published, place=place, cps=c.cps)
    if figs:
        starts, ends = c.to_raw_many([f.start for f in figs], [f.end for f in figs])
        for f, a, b in zip(figs, starts, ends):
            f.start, f.end, f.text = a, b, raw[a:b]
    raw_arts = []
    for a in arts:
        s, e = c.to_raw(a.start, a.end)
        raw_arts.append(Article(a.index, s, e, a.title))
    return raw_arts, figs, c


def extract(text: str, published: dt.date | str | None = None, place: str | None = None,
            meaning: bool = True) -> list[Figure]:
    """Every figure of a text, with value, unit and meaning; offsets index ``text``.

    ``published`` (a date or ``YYYY-MM-DD``) resolves 今年/去年; ``place`` names the home
    place that 全区/本区 refer to. ``meaning=False`` skips metric, subject, measure, period
    and status (more than twice as fast) and gives values, units and spans only.
    Never raises on junk text: it returns what it finds.
    """
    if isinstance(published, str):
        published = dt.date.fromisoformat(published)
    return analyse(text, published, place, meaning)[1]
