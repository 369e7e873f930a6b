"""Periods: time expressions of a text, resolved against the publication date.

``scan(text, start, end, published)`` lists the time expressions of an article in order,
each as a ``Period`` (first day, last day, label, whether it is a stock as of a date, whether
it is a target). A figure takes the last one before it (see ``interpret``).
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import regex

from .datafiles import read_yaml
from .numbers import parse_chinese
from .textclean import compiled as _re


# not frozen, though nothing changes a Period once made: a frozen dataclass sets each field
# through object.__setattr__, which makes one four times as slow to build (a page makes dozens)
@dataclass(slots=True)
class Period:
    start: dt.date | None
    end: dt.date | None
    label: str
    stock: bool = False     # a stock as of ``end``
    target: bool = False    # 到2025年: a target date
    event: bool = False     # a dated event (2月27日上午): its month
    pos: int = 0            # clean offset where the expression ends


def vocab() -> dict:
    """data/meaning.yaml (read once: read_yaml caches it)."""
    return read_yaml("data/meaning.yaml")


# The constructors below take a year and months (small ints): their days and labels are
# kept once made, the Period (which holds a text offset) is made each time.

@lru_cache(maxsize=None)
def month_end(y: int, m: int) -> dt.date:
    return dt.date(y, m, calendar.monthrange(y, m)[1])


@lru_cache(maxsize=None)
def _year_bounds(y: int) -> tuple[dt.date, dt.date, str]:
    return dt.date(y, 1, 1), dt.date(y, 12, 31), f"{y}"


def year_period(y: int, pos: int = 0) -> Period:
    return Period(*_year_bounds(y), pos=pos)


@lru_cache(maxsize=None)
def _months_bounds(y: int, m1: int, m2: int) -> tuple[dt.date, dt.date, str]:
    label = f"{y}-{m1:02d}" if m1 == m2 else f"{y}-{m1:02d}..{y}-{m2:02d}"
    return dt.date(y, m1, 1), month_end(y, m2), label


def months_period(y: int, m1: int, m2: int, pos: int = 0, event: bool = False) -> Period:
    return Period(*_months_bounds(y, m1, m2), pos=pos, event=event)


@lru_cache(maxsize=None)
def _stock_label(end: dt.date) -> str:
    return f"..{end.isoformat()}"


def stock_period(end: dt.date, pos: int = 0) -> Period:
    return Period(None, end, _stock_label(end), stock=True, pos=pos)


def as_stock(p: Period) -> Period:
    if p.end is None or p.stock:
        return p
    return Period(None, p.end, _stock_label(p.end), stock=True, pos=p.pos)


# a year before a half or a month (2021年, 今年)
YEAR = r"(?:(?P<y>(?:19|20)\d{2})年|(?P<ry>今年|去年|上年|本年|当年))"


CNM = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"


@lru_cache(maxsize=1)
def _patterns():
    v = vocab()["periods"]
    halves = "|".join(sorted(map(regex.escape, v["halves"]), key=len, reverse=True))
    this_year = "|".join(sorted(v["this_year"], key=len, reverse=True))
    last_year = "|".join(sorted(v["last_year"], key=len, reverse=True))
    plans = "|".join(v["plans"])
    if any(regex.match(YEAR, w) for w in v["halves"]):
        raise ValueError("a half may not start with a year: the pattern tries the year once")
    # where a match can start, checked first at every position of a window, in two steps:
    # one class test of the character, which turns down most positions at once, then what
    # must follow it: after a digit up to three more and 年, 月, 季 or a range (2021年, 3月,
    # 3季度, 1-2月); after a numeral up to two more and 月, 季, 年, 五 or a range (三月, 十四五,
    # 三至五月); after 到, 前 or 近
    # anything (到2025年, 前5个月, 近五年); after the first character of another word of the
    # pattern or of the vocabulary its second (截至, 目前, 上半年, 年内). Each branch starts
    # with a character or a class, which re checks without entering the branch. (A run of
    # digits is taken whole, as none of the characters after it is a digit.)
    words = ("截至", "截止", "今年", "去年", "上年", "本年", "当年", "全年", "目前", "当前", "现阶段", "年初", "过去",
             *v["halves"], *v["this_year"], *v["last_year"], *v["plans"])
    nexts: dict[str, set[str]] = {}  # the first character of a word -> the second ones
    for w in words:
        if not regex.match(r"[\d一二三四五六七八九两十到前近]", w):
            nexts.setdefault(w[0], set()).add(w[1])
    starts = (r"\d{1,4}+[年月季至到\-—~－]"
              r"|[一二三四五六七八九两十][一二三四五六七八九两十]{0,2}(?:月|季|个月|年|五|至|到|[\-—~－])|[到前近]")
    starts += "".join(f"|{c}{next(iter(after))}" if len(after) == 1 else f"|{c}[{''.join(sorted(after))}]"
                      for c, after in nexts.items())
    # the words that start with a digit the first branch does not let through
    starts += "".join("|" + regex.escape(w) for w in words if regex.match(r"\d", w) and not regex.match(starts, w))
    first = r"[\d一二三四五六七八九两十到前近" + "".join(nexts) + "]"
    pat = _re(
        rf"(?={first})(?={starts})"
        rf"(?P<asof>截至|截止|截止到|到)?(?:"
        rf"(?P<plan>(?:{plans}))(?:”|\")?(?:期间|时期|以来|末|规划期)"
        # the alternatives that take a year share one, tried once: where it matches none of
        # them matches without it, so trying each with and then all without finds what trying
        # each with and without would
        rf"|{YEAR}?(?:"
        rf"(?P<half>{halves})"
        rf"|前(?P<firstn>{CNM})个?月"
        # a month, then a range (1-2月), a day (2月27日) or nothing (3月份, 3月底): its number
        # is matched once, as only the longest can be followed by 月, 至, 到 or a dash
        rf"|(?P<mo>{CNM})(?:(?:月份?)?(?:至|到|-|—|~|－)(?P<m2>{CNM})月(?:份)?(?P<mend>底|末)?"
        rf"|月(?:份)?(?P<d>\d{{1,2}})[日号]"
        rf"|月(?:份)?(?P<moend>底|末|初)?)"
        # a quarter by its number, or a range of them (1季度, 一至二季度, 3-4季度)
        rf"|(?:(?P<qa>[一二三四1-4])(?:季度)?(?:至|到|-|—|~|－))?(?P<qb>[一二三四1-4])季度)"
        rf"|(?P<yo>(?:19|20)\d{{2}})年(?P<yend>底|末|初)?(?!度|代)"
        rf"|(?P<ty>{this_year})(?P<tyend>以来|底|末)?"
        rf"|(?P<ly>{last_year})(?P<lyend>底|末)?"
        rf"|(?P<wy>全年)"
        rf"|(?P<now>目前|当前|现阶段|截至目前|截止目前)"
        rf"|(?P<since>年初以来|今年以来|去年以来)"
        rf"|(?P<past>过去|近)(?P<pastn>[一二三四五六七八九十两]|\d{{1,2}})年(?:来|间)?"
        rf"|(?P<pastn2>[二三四五六七八九十两]|\d)年(?=来|间|以来|累计)"
        rf")"
    )
    comp = tuple(v["comparison_before"])
    # what a comparison word ends with: most matches follow none of these characters, and
    # one look-up rules the words out
    comp_end = frozenset(w[-1] for w in comp)
    # the alternative a match took, named after its first group (half, yo …) or its form
    # (range, day, month), read from the last group it closed (m.lastindex): every group but
    # asof and the year belongs to one alternative, and the year is never the last
    key = {"m2": "range", "mend": "range", "d": "day", "mo": "month", "moend": "month", "qb": "quarter",
           "yend": "yo", "tyend": "ty", "lyend": "ly", "pastn": "past"}
    names = {i: g for g, i in pat.groupindex.items()}
    kind = tuple(key.get(names.get(i), names.get(i)) for i in range(pat.groups + 1))
    return pat, comp, comp_end, kind, v["halves"], v["plans"]


@lru_cache(maxsize=1)
def _plan_cue():
    words = [w for w in vocab()["status"]["plan"] + vocab()["status"]["expected"] if len(w) >= 2] + ["要", "将"]
    return _re("|".join(sorted(map(regex.escape, words), key=len, reverse=True)))


# the characters every time expression holds (年, 月, 季, 目前 …), written to start with a
# character class: re then skips to the next of those characters in C, where a pattern
# that starts with an alternation is tried at every position
_ANCHOR = _re(r"[年月季目当现以期时](?:(?<=[年月季])|(?<=[目当])前|(?<=现)阶段|(?<=以)来|(?<=期)间|(?<=时)期)")


def _candidates(pat, text: str, start: int, end: int):
    """Matches of pat in text[start:end], looked for only within 12 characters of an anchor
    (see _ANCHOR): most of a page is never tried. Anchors 24 characters apart or less share
    one window."""
    # hi: the end of the window being gathered, unclipped (-13: none yet, the first anchor
    # opens one); clipped to end only when searched, which merges the same windows
    # (conditional expressions rather than calls of min and max: they run for every window)
    lo, hi = start, -13
    for a in _ANCHOR.finditer(text, start, end):
        s, e = a.span()
        if s - 12 > hi:
            if hi >= 0:
                yield from pat.finditer(text, lo, hi if hi < end else end)
            lo = s - 12 if s - 12 > start else start
        hi = e + 12
    if hi >= 0:
        yield from pat.finditer(text, lo, hi if hi < end else end)


def _cn_int(s: str) -> int:
    return int(s) if s.isdigit() else int(parse_chinese(s))


def _default_year(text: str, at: int, m_end: int, published: dt.date | None, cur_year: int | None,
                  explicit: bool) -> int | None:
    """The year of a period named without one (前三季度, 1—11月) whose words end at offset at
    and which ends in month m_end: the publication year, or the year before when that period
    would not be over yet when the page appeared — unless the sentence plans it (下半年，力争完成…)."""
    if explicit or not published or cur_year != published.year or m_end <= published.month:
        return cur_year
    rest = text[at:at + 60].split("。", 1)[0]
    if _plan_cue().search(rest):
        return cur_year
    return published.year - 1


def scan(text: str, start: int, end: int, published: dt.date | None, context_year: int | None = None
         ) -> list[Period]:
    """Time expressions of text[start:end] in order."""
    pat, comp, comp_end, kind, halves, plans = _patterns()
    out: list[Period] = []
    pub_year = published.year if published else None
    cur_year = context_year or pub_year
    explicit = context_year is not None  # was the year named, or is it the publication year?

    for m in _candidates(pat, text, start, end):
        a, b = m.span()
        asof_word = m["asof"]
        if not asof_word and a and text[a - 1] in comp_end and text.endswith(comp, max(0, a - 2), a):
            # 比上年, 是2020年的: a comparison, not the period
            continue
        if text.startswith(("同期", "第"), b):
            continue  # 上年同期; 2021年第一批, 2021年第18次: names, not periods
        k = kind[m.lastindex]
        y, ry = m.group("y", "ry")  # (only the alternatives that take a year have one)
        y = int(y) if y else None
        if ry and pub_year:
            y = pub_year - 1 if ry in ("去年", "上年") else pub_year
        asof = bool(asof_word)
        if asof_word == "到" and _re(r"(?:增加|增长|提高|提升|下降|减少|降|升|扩大|缩小)$").search(text[max(0, a - 3):a]):
            asof = False  # 增加到2020年的2123亿元: a value, not a target date
        p: Period | None = None
        try:
            if k == "plan":
                y1, y2 = plans[m["plan"]]
                p = Period(dt.date(y1, 1, 1), dt.date(y2, 12, 31), f"{y1}..{y2}", pos=b)
            elif k == "half":
                m1, m2 = halves[m["half"]]
                yy = y or _default_year(text, b, m2, published, cur_year, explicit)
                if yy:
                    p = months_period(yy, m1, m2, pos=b)
            elif k == "firstn":
                n = _cn_int(m["firstn"])
                yy = y or _default_year(text, b, n, published, cur_year, explicit)
                if yy and 1 <= n <= 12:
                    p = months_period(yy, 1, n, pos=b)
            elif k == "range":
                m1, m2 = _cn_int(m["mo"]), _cn_int(m["m2"])
                yy = y or _default_year(text, b, m2, published, cur_year, explicit)
                if yy and 1 <= m1 <= m2 <= 12:
                    p = months_period(yy, m1, m2, pos=b)
                    if asof or m["mend"]:
                        p = stock_period(month_end(yy, m2), pos=b)
            elif k == "quarter":
                q1, q2 = _cn_int(m["qa"] or m["qb"]), _cn_int(m["qb"])
                yy = y or _default_year(text, b, 3 * q2, published, cur_year, explicit)
                if yy and q1 <= q2:
                    p = months_period(yy, 3 * q1 - 2, 3 * q2, pos=b)
            elif k == "day":
                # a dated event: the nearest such day up to the publication date
                mm, dd = _cn_int(m["mo"]), int(m["d"])
                yy = y or (pub_year if not published or mm <= published.month else pub_year - 1) or cur_year
                if yy and 1 <= mm <= 12:
                    if asof:
                        p = stock_period(dt.date(yy, mm, dd), pos=b)
                    else:
                        p = months_period(yy, mm, mm, pos=b, event=True)
            elif k == "month":
                yy = y or cur_year
                mm = _cn_int(m["mo"])
                if yy and 1 <= mm <= 12:
                    if asof or m["moend"] in ("底", "末"):
                        p = stock_period(month_end(yy, mm), pos=b)
                    else:
                        p = months_period(yy, mm, mm, pos=b)
            elif k == "yo":
                yy = int(m["yo"])
                yend = m["yend"]
                if asof_word == "到" and asof and not yend:
                    p = Period(None, dt.date(yy, 12, 31), f"..{yy}", target=True, pos=b)
                elif asof or yend in ("底", "末"):
                    p = stock_period(dt.date(yy, 12, 31), pos=b)
                else:
                    p = year_period(yy, pos=b)
                cur_year = yy
                explicit = True
            elif k == "ty":
                if pub_year:
                    tyend = m["tyend"]
                    if tyend == "以来":
                        p = months_period(pub_year, 1, published.month, pos=b)
                    elif tyend or asof:
                        p = stock_period(dt.date(pub_year, 12, 31), pos=b)
                    else:
                        p = year_period(pub_year, pos=b)
                    cur_year, explicit = pub_year, True
            elif k == "ly":
                if pub_year:
                    if m["lyend"] or asof:
                        p = stock_period(dt.date(pub_year - 1, 12, 31), pos=b)
                    else:
                        p = year_period(pub_year - 1, pos=b)
                    cur_year, explicit = pub_year - 1, True
            elif k == "wy":
                # 全年 with no year named: the year just ended when the page appears in its first
                # half and the sentence reports rather than plans; else the publication year
                yy = cur_year
                if not explicit and published and published.month <= 6 and cur_year == pub_year \
                        and not _plan_cue().search(text[b:b + 60].split("。", 1)[0]):
                    yy = pub_year - 1
                if yy:
                    p = year_period(yy, pos=b)
            elif k == "now":
                if published:
                    p = stock_period(published, pos=b)
            elif k == "since":
                if pub_year:
                    if m["since"].startswith("去年"):
                        p = Period(dt.date(pub_year - 1, 1, 1), month_end(pub_year, published.month),
                                   f"{pub_year - 1}-01..{pub_year}-{published.month:02d}", pos=b)
                    else:
                        p = months_period(pub_year, 1, published.month, pos=b)
            elif pub_year:  # past, pastn2
                n = _cn_int(m["pastn"] or m["pastn2"])
                if 1 <= n <= 30:
                    p = Period(dt.date(pub_year - n, 1, 1), dt.date(pub_year - 1, 12, 31),
                               f"{pub_year - n}..{pub_year - 1}", pos=b)
        except ValueError:
            p = None
        if p is not None:
            if p.start and not p.stock and p.start.year and not p.event:
                cur_year = p.start.year if p.start.year == (p.end.year if p.end else p.start.year) else cur_year
            out.append(p)
    return out
