"""Find figures: every number with a unit or classifier in the clean text.

Each rule is a named pattern over the clean view (``textclean``); what it matches becomes a
``Figure`` with its exact value in the output unit, the number and unit as written, its
approximation, the noun it counts, and its span. Rules and their examples live side by side:
``tests/corpus/{numbers,quantity,negatives}.tsv``.
"""
from __future__ import annotations

import datetime as dt
import itertools
import math
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from operator import attrgetter

import regex

from .textclean import compiled as _re

from .numbers import multiplier, parse_arabic, parse_chinese
from .units import lexicon, to_float, unit_table

# a digit run is never given back (possessive): nothing that may follow a number in a
# pattern starts with a digit, so a shorter run would only fail again
AR = r"(?:\d{1,3}(?:[,，]\d{3})+(?![\d])|\d++)(?:\.\d++)?"
AR_AFTER_FIRST = r"(?:\d{0,2}(?:[,，]\d{3})+(?![\d])|\d*+)(?:\.\d++)?"  # AR without its first digit
CN_DEC = r"(?:点[零〇○一二三四五六七八九]+)?"
CN = r"[零〇○一二两三四五六七八九十百千万亿]+"
QUOTES_OPEN = "“‘「『\"'《"
QUOTES_CLOSE = "”’」』\"'》"


def _digit_class() -> str:
    """The inside of a character class that holds every character ``\\d`` matches: 0-9, the
    other decimal digits of the BMP and, as a superset, every code point past it. Leading a
    pattern, a class is tested at every character re's search skips: a BMP class by one table
    look-up, where \\d takes a call per character."""
    runs: list[list[int]] = []
    for c in range(0x80, 0x10000):
        if chr(c).isdecimal():  # re's \d on str
            if runs and runs[-1][1] == c - 1:
                runs[-1][1] = c
            else:
                runs.append([c, c])
    return "0-9" + "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in runs) + "\\U00010000-\\U0010ffff"


@dataclass(slots=True)
class Figure:
    start: int                 # clean offsets until ``locate`` maps them to raw
    end: int
    text: str
    value: float
    unit: str
    raw_value: str
    raw_unit: str
    rule: str
    approx: str | None = None
    counted: str | None = None
    group: int | None = None   # figures of one range, list or ratio share a group
    role: str | None = None    # low | high for the ends of a range; part for ratios
    decimal: Decimal = Decimal(0)
    # set by later stages
    article: int = 0
    context: str = ""          # the sentence it stands in (clean text)
    metric_id: str | None = None
    metric_text: str | None = None
    subject: str | None = None
    measure: str | None = None
    period: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    status: str | None = None

    def as_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.__slots__ if k != "decimal"}
        return d


_RANGE_SEP = ("至", "到", "-", "—", "~", "～", "－", "——")  # between the two ends of a range
_LIST_SEP = ("、", "和", "及", "与", ",", "，")  # between the items of a list
_SEP_MAX = max(map(len, _RANGE_SEP + _LIST_SEP))
# between a bare number and the figure whose unit it shares (3—5家, 7和29个)
_CONNECTORS = tuple(w for w in _RANGE_SEP if len(w) == 1) + ("、", "和", "与")


@lru_cache(maxsize=1)
def _rules():
    lex = lexicon()
    units = unit_table()
    names = sorted(units, key=len, reverse=True)
    unit_alt = trie_pattern(names)
    # the characters a unit starts with, checked before the unit: where none follows a number
    # (most candidates fail there) the trie's hundred first branches are not tried in turn
    unit_first = "".join(sorted({n[0] for n in names}))
    # a number: -AR, AR or CN, not right after a character that would make it part of a longer
    # one. Its first character is matched first, as a class, so that re's search skips from
    # one candidate to the next at once (its digits by table: _digit_class); the look-behinds
    # after it check it and the one before.
    main = _re(
        rf"(?P<num>[-{_digit_class()}零〇○一二两三四五六七八九十百千万亿]"
        rf"(?:(?<=-)(?<![\d%.A-Za-z]-)(?:{AR})"
        rf"|(?<=\d)(?<![\d.A-Za-z]\d){AR_AFTER_FIRST}"
        r"|(?<=[零〇○一二两三四五六七八九十百千万亿])(?<![零〇○一二两三四五六七八九十百千万亿]{2})[零〇○一二两三四五六七八九十百千万亿]*))"
        r"(?P<in1>余|多|几)?(?P<mult>[十百千万亿]{1,3})?(?P<in2>余|多)?"
        rf"(?=[{regex.escape(unit_first)}])(?P<unit>{unit_alt})"
        # what _blocked would turn down whatever else holds, ruled out here (a sixth of the
        # matches otherwise): 个 before a stretch of time (两个月), a year (2021年: four digits,
        # not the end of a longer number or decimal)
        r"(?!(?<=个)(?:月|季度|小时|工作日))(?!(?<=[0-9]{4}年)(?<![.\-,，0-9][0-9]{4}年))"
        r"(?P<post>左右|上下|以上|以下|以内|之内|多|余)?"
    )
    assert list(main.groupindex) == ["num", "in1", "mult", "in2", "unit", "post"]  # find reads them by number
    percent_words = _re(rf"(?P<kind>百分之|千分之)(?P<num>{AR}|{CN}{CN_DEC})(?P<post>以上|以下|左右)?")
    rank = _re(
        r"(?:居|位居|位列|列|排名|排在|排|名列|位于|跃居|升至|保持)"
        r"[^\s，。；,;、]{0,8}?(?P<fig>第(?P<num>[一二三四五六七八九十]+|\d{1,3})(?:位|名)?)"
    )
    top = _re(
        r"(?:(?:居|位于|进入|跻身|位列|排名|排在|名列|稳居|保持)[^\s，。；,;、]{0,8}?(?P<fig>前(?P<num>[一二三四五六七八九十]+|\d{1,3})(?:名|位|强)?)"
        r"(?![季个年月天批期届次])"
        r"|(?:全国|全省|全市|全球|世界|中国|全区)(?P<fig2>(?P<num2>\d{1,4}|[一二三四五六七八九十百千]+)强))"
    )
    # regex finds the leading look-behind faster than re
    ratio = regex.compile(rf"(?<![\d.:：])(?P<parts>{AR}(?:[:：]{AR}){{1,5}})(?![\d:：])")
    before_approx = dict(lex["approx"]["before"])
    before_approx_re = _re(trie_pattern(before_approx) + "$")
    # the longest phrase at each position, as a trie (re tries 47 phrases starting with 一 in turn)
    phrase_re = _re(trie_pattern(lex["not_figures"]["phrases"]))
    not_before = tuple(lex["not_figures"]["before"])
    not_after = tuple(lex["not_figures"]["after"])
    seps = "|".join(map(regex.escape, _CONNECTORS))
    connector = _re(rf"(?P<num>(?<![\d.A-Za-z]){AR})(?P<mult>[万亿千百]{{0,2}})(?P<sep>{seps})$")
    assert all(len(c) == 1 for c in _CONNECTORS)
    return {
        "main": main, "percent_words": percent_words, "rank": rank,
        "ratio": ratio, "top": top,
        # where a match of top or ratio may lie: the stretch around an anchor (see _near) up
        # to a character the pattern never contains, before and after; on regex, as they are,
        # whose \d knows digits that re's does not
        "top_anchor": regex.compile(r"前[一二三四五六七八九十\d]|[\d一二三四五六七八九十百千]强"),
        "clause": (regex.compile(r"(?r)[\s，。；,;、]"), regex.compile(r"[\s，。；,;、]")),
        "ratio_anchor": regex.compile(r"\d[:：]\d"),
        "digit_run": (regex.compile(r"(?r)[^\d,，.:：]"), regex.compile(r"[^\d,，.:：]")),
        "before_approx": before_approx, "before_approx_re": before_approx_re, "phrase_re": phrase_re,
        # the last character of a word before_approx_re finds, or a line break ($ matches before one)
        "before_approx_last": frozenset(w[-1] for w in before_approx) | {"\n"},
        "unit_rows": {s: (u.code, u.factor, _RULE_OF_KIND.get(u.kind, "quantity")) for s, u in units.items()},
        "not_before": not_before, "not_after": not_after, "connector": connector,
        "connector_last": frozenset(_CONNECTORS) | {"\n"},  # connectors are single characters
        # the value of every run the main pattern's mult group can match (one to three characters)
        "multipliers": {run: multiplier(run) for run in map("".join, itertools.chain.from_iterable(
            itertools.product("十百千万亿", repeat=n) for n in (1, 2, 3)))},
        "not_before_last": frozenset(w[-1] for w in not_before),
        "not_after_first": frozenset(w[0] for w in not_after),
        "inner": lex["approx"]["inner"], "after": lex["approx"]["after"],
        "weak_one": set(lex["weak_after_one"]),
        "verbs": frozenset(lex.get("verbs", [])),
        "durations": {k: tuple(v) for k, v in lex["durations"].items()},
        "heads_rev_re": _re(trie_pattern(w[::-1] for w in lex.get("count_heads", []))),
        "count_tail_rev_re": _re(trie_pattern(w[::-1] for w in lex.get("count_tail_words", []))),
        "count_tail_last": frozenset(w[-1] for w in lex.get("count_tail_words", [])),
    }


def trie_pattern(words) -> str:
    """A regex alternation of words factored into a trie (亩|亩次 -> 亩(?:次)?), so the engine
    tries each next character once instead of every word in turn; longest match first."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        end = "" in node
        branches = [regex.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if end else body

    return "(?:" + emit(trie) + ")"


def _num_value(num: str) -> Decimal:
    if num.isdecimal():
        return Decimal(num)  # digits alone, most numbers: parse_arabic would find no comma to drop
    if num[0].isdigit() or num[0] == "-":
        return parse_arabic(num)
    return parse_chinese(num)


_HAN_RUN = _re(r"(?:“[^”]{0,8}”|\p{Han})+")
_COUNTED_CUT = _re(
    r"(?:的|和|与|及|等|在|从|为|是|已|被|将|中|内|完成|实现|进行|涉及|纷纷|全部|正在|获得|享受|入驻|受益"
    r"|通上|建成|开工|投产|竣工|参加|参与|达到|共有|总数|累计|同比|比上年|分别)")
PERSON_CLASSIFIERS = ("人", "名", "位")
# classifiers that name what they count: 1153人次, 11批次, 52.3万剂次
SELF_COUNTED = ("人次", "剂次", "批次", "批", "车次", "架次", "户次", "亩次", "辆次", "家次", "项次", "班次",
                "标箱", "标准箱", "股")


# what a count names itself: a person for 人, 名, 位; the classifier for the rest
_SELF_NAMED = dict.fromkeys(PERSON_CLASSIFIERS, "人") | {c: c for c in SELF_COUNTED}
_HAN_LEAD = _re(r"\p{Han}{1,16}")
_NOT_IN_TAIL = frozenset("全本该我各省市县区乡镇村年月日和与及个家")  # in no last two characters taken as a noun


def _best_head(run: str, rules) -> str | None:
    """The counted noun in a run of Han characters: the known head noun that ends last
    (乡镇敬老院 -> 敬老院)."""
    # on the reversed run, the first head found is the one that ends last, the longest of
    # those that end there (the trie prefers longer words)
    m = rules["heads_rev_re"].search(run[::-1])
    return m.group()[::-1] if m else None


def _counted(text: str, start: int, end: int, classifier: str, rules) -> str | None:
    """The noun a count counts: after the classifier (75个项目), else before the number
    (重点项目75个); None when the text does not say (filled from a neighbour later)."""
    named = _SELF_NAMED.get(classifier)
    if named:
        return named
    m = _HAN_RUN.match(text, end, end + 16)
    if m:
        run = m.group()
        if "“" in run or "”" in run:
            run = _re(r"[“”]").sub("", run)
        cut = _COUNTED_CUT.search(run)
        run = run[: cut.start()] if cut else run
        head = _best_head(run[:10], rules) if run else None
        if head:
            return head
    # the Han characters just before the number, read backwards from it (reversed, the
    # words looked for at the run's end are at its start: a match, not a search)
    m = _HAN_LEAD.match(text[max(0, start - 16):start][::-1])
    rev = _strip_tail_words(m.group(), rules) if m else ""
    if rev:
        h = rules["heads_rev_re"].match(rev)  # a known head the run ends with
        if h:
            return h.group()[::-1]
        tail = rev[1::-1]  # else its last two characters, unless a verb or a word like 全, 省, 个
        if classifier != "户" and len(tail) == 2 and tail not in rules["verbs"] \
                and tail[0] not in _NOT_IN_TAIL and tail[1] not in _NOT_IN_TAIL:
            return tail
    return None


def _strip_tail_words(rev: str, rules) -> str:
    """A run read backwards without the words that may stand between a noun and its count
    (累计, 共, 达 …), which it starts with."""
    pat, last = rules["count_tail_rev_re"], rules["count_tail_last"]
    while rev and rev[0] in last:  # no word ends with any other character
        m = pat.match(rev)
        if not m:
            break
        rev = rev[m.end():]
    return rev


def _approx_before(text: str, start: int, rules) -> str | None:
    """The approximation word just before a number (约, 近, 超过 …), as its approx value."""
    if not start or text[start - 1] not in rules["before_approx_last"]:
        return None  # (the character before tells most numbers from the words)
    m = rules["before_approx_re"].search(text, max(0, start - 4), start)
    return rules["before_approx"][m.group()] if m else None


_UNITS_CHECKED = frozenset(("个", "度", "岁", "周岁", "年", "周"))  # the units _blocked looks at further


def _blocked(text: str, start: int, end: int, num: str, unit: str, rules, in_phrase: bytearray,
             after_quote: bytearray) -> bool:
    """Hard negatives: ordinals, codes, dates, names, slogans."""
    # one character tells most numbers from the words (a look-up, not ten endswith)
    if start and text[start - 1] in rules["not_before_last"] \
            and text.endswith(rules["not_before"], max(0, start - 4), start):
        return True
    if text[end:end + 1] in rules["not_after_first"] and text.startswith(rules["not_after"], end):
        return True
    if in_phrase.find(1, start, end) >= 0:
        return True
    if after_quote[start] and _in_short_quote(text, start, end):
        return True  # a slogan in quotes: “四个焦作”, “六个100%”
    if not num[0].isdigit() and num[0] != "-":
        if not num.strip("零〇○"):
            return True  # 零部件
        if num in ("一", "两", "二") and unit in rules["weak_one"] and num == "一":
            return True
        if unit == "次":
            return True
        if num == "万" or num == "亿" or num == "千" or num == "百" and unit not in ("元",):
            return True
    if unit not in _UNITS_CHECKED:
        return False
    if unit == "个" and text.startswith(("月", "季度", "小时", "工作日"), end):
        return True  # 前10个月, 两个季度: a stretch of time, not a count
    if unit == "度" and not ("电" in text[max(0, start - 15):start] or text.startswith("电", end)):
        return True
    if unit in ("岁", "周岁") and not num[0].isdigit():
        return True
    if unit in ("年", "周"):
        if unit == "周" and text.startswith(("年", "岁", "边", "末", "六", "日"), end):
            return True
        try:
            small = _num_value(num) < 100
        except (ValueError, ArithmeticError):
            small = False
        d = rules["durations"]
        if not small or not (text.endswith(d["before"], max(0, start - 4), start)
                             or text.startswith(d["after"], end)):
            return True
    return False


_OPEN_QUOTE_LEFT = _re("[" + regex.escape(QUOTES_OPEN) + "][^" + regex.escape("”’」』》") + "]*$")
_CLOSE_QUOTE = _re("[" + regex.escape(QUOTES_CLOSE) + "]")


def _in_short_quote(text: str, start: int, end: int, span: int = 12) -> bool:
    """True when [start, end) lies inside a quotation of at most ``span`` characters."""
    m = _OPEN_QUOTE_LEFT.search(text, max(0, start - span), start)
    if not m:
        return False
    c = _CLOSE_QUOTE.search(text, end, end + span)
    return bool(c) and c.start() - m.start() <= span + 1


def _positions(text: str, chars: str) -> list[int]:
    """Where any of ``chars`` occurs in text, in order (str.find outruns a regex scan)."""
    out: list[int] = []
    for c in chars:
        i = text.find(c)
        while i >= 0:
            out.append(i)
            i = text.find(c, i + 1)
    if len(chars) > 1:
        out.sort()
    return out


def _near(pattern, text: str, anchors, stretch: tuple) -> list:
    """``pattern.finditer(text)`` for a pattern whose every match contains an anchor and
    none of the characters that ``stretch`` (a reverse and a forward pattern) finds:
    scanned only over the stretches of text around the anchors, between two such
    characters. The look-arounds of the pattern must accept such a character as they
    accept the end of the text, so a match is the same in the stretch as in the text."""
    before, after = stretch
    out: list = []
    hi = -1
    for i in anchors:
        if i < hi:
            continue  # in the stretch just scanned
        s = before.search(text, 0, i)
        e = after.search(text, i)
        hi = e.start() if e else len(text)
        out.extend(pattern.finditer(text, s.end() if s else 0, hi))
    return out


# the Chinese numerals top_anchor looks for next to 前 and 强; its digits are no letters
_TOP_NUMERALS = frozenset("一二三四五六七八九十百千")


def _top_anchors(text: str, anchor) -> list[int]:
    """前 before a numeral (前三, 前10名), 强 after one (100强): every match of ``top`` has one."""
    out = []
    for i in _positions(text, "前强"):
        # the character next to it first: most are a letter and no numeral (目前, 加强), and
        # the anchor is not looked for at all (a match of regex costs ten such tests)
        at = i if text[i] == "前" else max(i - 1, 0)
        c = text[i + 1:i + 2] if text[i] == "前" else text[at:i]
        if (c in _TOP_NUMERALS or not c.isalpha()) and anchor.match(text, at):
            out.append(i)
    return out


def _ratio_anchors(text: str, anchor) -> list[int]:
    """A colon between two digits: every match of ``ratio`` has one."""
    return [i for i in _positions(text, ":：") if i and anchor.match(text, i - 1)]


_RULE_OF_KIND = {"money": "money", "percent": "percent", "count": "count", "times": "multiple"}
_START = attrgetter("start")  # figures sort by where they start


def find(text: str) -> list[Figure]:
    """All figures of a clean text, in order, with clean offsets."""
    rules = _rules()
    in_phrase = bytearray(len(text) + 1)  # characters inside a slogan or a name with numerals
    for m in rules["phrase_re"].finditer(text):
        in_phrase[m.start():m.end()] = b"\x01" * (m.end() - m.start())
    # 1 where a quotation may open at most 12 characters before (_in_short_quote's span)
    after_quote = bytearray(len(text) + 13)
    for q in _positions(text, QUOTES_OPEN):
        after_quote[q + 1:q + 13] = b"\x01" * 12
    found: list[Figure] = []
    occupied = bytearray(len(text) + 1)

    def take(a: int, b: int) -> None:
        occupied[a:b] = b"\x01" * (b - a)

    def free(a: int, b: int) -> bool:
        return occupied.find(1, a, b) < 0

    # ranks: 居全市第一位
    for m in rules["rank"].finditer(text):
        a, b = m.span("fig")
        num = m["num"]
        val = _num_value(num)
        found.append(Figure(a, b, text[a:b], to_float(val), "rank", num, "", "rank", decimal=val))
        take(a, b)

    # membership of a top N: 位于全市前三, 跻身全国100强 (rank, at most N)
    for m in _near(rules["top"], text, _top_anchors(text, rules["top_anchor"]), rules["clause"]):
        key = "fig" if m["fig"] else "fig2"
        a, b = m.span(key)
        num = m["num"] or m["num2"]
        if not free(a, b):
            continue
        try:
            val = _num_value(num)
        except (ValueError, ArithmeticError):
            continue
        found.append(Figure(a, b, text[a:b], to_float(val), "rank", num, "", "rank_top",
                            approx="at_most", decimal=val))
        take(a, b)

    # ratios: 4.9∶45.9∶49.1
    groups = itertools.count(1)  # one numbering for every group of the page: ratios, ranges, lists
    for m in _near(rules["ratio"], text, _ratio_anchors(text, rules["ratio_anchor"]), rules["digit_run"]):
        parts = regex.split("[:：]", m["parts"])
        ctx = text[max(0, m.start() - 12):m.start()]
        if len(parts) < 3 and "比" not in ctx:
            continue
        if "时" in text[m.end():m.end() + 2] or "分" in text[m.end():m.end() + 1]:
            continue
        group_id = next(groups)
        pos = m.start()
        for p in parts:
            val = parse_arabic(p)
            found.append(Figure(pos, pos + len(p), p, to_float(val), "ratio", p, ":", "ratio",
                                group=group_id, role="part", decimal=val))
            pos += len(p) + 1
        take(*m.span())

    # the hot loop: a few thousand matches a page, so the rules it needs are bound once
    inner, after = rules["inner"], rules["after"]
    multipliers = rules["multipliers"]
    # per unit as written: its output code, its factor to that unit and the rule of its kind
    unit_rows = rules["unit_rows"]
    # the spans taken so far (ranks, tops, ratios) are few: most pages have none to look up.
    # The main pattern's own matches never overlap; only percent_words, after this loop,
    # needs theirs, and only on a page that has any
    taken_before = bool(found)
    mark = "分之" in text
    for m in rules["main"].finditer(text):
        a, b = m.span()
        if taken_before and occupied.find(1, a, b) >= 0:
            continue
        num, in1, mult, in2, unit_s, post = m.groups()  # the groups in order, named in the pattern
        unit_end = m.end(5)  # unit
        if _blocked(text, a, unit_end, num, unit_s, rules, in_phrase, after_quote):
            continue
        try:
            val = _num_value(num)
        except (ValueError, ArithmeticError):
            continue
        if mult:
            val *= multipliers[mult]
        code, factor, rule = unit_rows[unit_s]
        approx = after[post] if post else inner[in1 or in2] if in1 or in2 else None
        if approx is None:
            approx = _approx_before(text, a, rules)
        exact = val * factor
        # the span is the number and its unit with 余/多 but without 左右/以上/以下
        end = b if post in ("多", "余") else unit_end
        counted = _counted(text, a, b, unit_s, rules) if code == "count" else None
        # positional, as keywords cost a third of the call: ..., approx, counted, group, role,
        # decimal; float is to_float without the call
        found.append(Figure(a, end, text[a:end], float(exact), code, num, (mult or "") + unit_s, rule,
                            approx, counted, None, None, exact))
        if mark:
            occupied[a:b] = b"\x01" * (b - a)

    # 百分之十五 (a page without 分之 has none: skip the scan)
    for m in rules["percent_words"].finditer(text) if mark else ():
        a, b = m.span()
        if not free(a, b):
            continue
        try:
            val = _num_value(m["num"])
        except ValueError:
            continue
        unit = "percent" if m["kind"] == "百分之" else "permille"
        end = m.end("num")
        approx = rules["after"].get(m["post"]) if m["post"] else _approx_before(text, a, rules)
        found.append(Figure(a, end, text[a:end], to_float(val), unit, m["num"], m["kind"], "percent",
                            approx=approx, decimal=val))
        take(a, b)

    # a number too long for a float64 (400 digits) is no quantity of this world
    found = [f for f in found if math.isfinite(f.value)]
    found.sort(key=_START)
    found = _bare_partners(text, found, rules, groups)
    _link_neighbours(text, found, groups)
    _fill_counted(found)
    return found


def _bare_partners(text: str, found: list[Figure], rules, groups) -> list[Figure]:
    """``3—5家``, ``分别为7和29个``: a bare number before a connector and a figure shares
    that figure's unit. Ranges link low and high ends."""
    ends_connector = rules["connector_last"]
    # the character before the figure first: few are a connector (or a line break: the
    # pattern's $ matches before one), and the list is copied only when a partner joins it
    maybe = [i for i, f in enumerate(found) if f.start and text[f.start - 1] in ends_connector]
    out: list[Figure] = []
    kept = 0  # found[:kept] are in out
    for i in maybe:
        f = found[i]
        if f.unit in ("rank", "ratio"):
            continue
        m = rules["connector"].search(text[max(0, f.start - 24):f.start])
        # the bare number lies after the figure before, if any
        if m and not (i and found[i - 1].end > f.start - len(m.group())):
            num = m["num"]
            a = f.start - len(m.group())
            b = a + len(num) + len(m["mult"])
            before = text[max(0, a - 4):a]
            if not before.endswith(rules["not_before"]) and not text[a:b].endswith(("年", "月")):
                try:
                    val = parse_arabic(num) * (multiplier(m["mult"]) if m["mult"] else Decimal(1))
                except ValueError:
                    val = None
                if val is not None:
                    if not m["mult"]:
                        val = val * _mult_of(f)
                    unit_info = unit_table().get(_unit_surface(f))
                    factor = unit_info.factor if unit_info else Decimal(1)
                    partner = Figure(a, b, text[a:b], to_float(val * factor), f.unit, num, f.raw_unit,
                                     f.rule, counted=f.counted, decimal=val * factor)
                    partner.group = f.group = next(groups)
                    if m["sep"] in _RANGE_SEP:
                        _mark_range(partner, f)
                    out += found[kept:i]
                    out.append(partner)
                    kept = i
    if not out:
        return found
    out += found[kept:]
    return out


def _mark_range(low: Figure, high: Figure) -> None:
    """The two ends of a range: at least the low one, at most the high one."""
    low.role, high.role = "low", "high"
    low.approx = low.approx or "at_least"
    high.approx = high.approx or "at_most"


def _link_neighbours(text: str, found: list[Figure], groups) -> None:
    """Figures of one unit written side by side form a group: a range (``1亿元至5亿元``)
    or a list (``2.5%和15%``, ``980件、640件``)."""
    for f1, f2 in zip(found, found[1:]):
        # most neighbours are further apart than the longest separator
        if not 0 < f2.start - f1.end <= _SEP_MAX or f1.unit != f2.unit or f1.unit in ("ratio",) \
                or f2.group is not None:
            continue
        between = text[f1.end:f2.start]
        if between not in _RANGE_SEP and between not in _LIST_SEP:
            continue
        f1.group = f2.group = f1.group if f1.group is not None else next(groups)
        if between in _RANGE_SEP:
            _mark_range(f1, f2)


def _fill_counted(found: list[Figure]) -> None:
    """``新增企业3家，总数达12家``: a count that does not name its noun counts the same noun
    as the count just before it with the same classifier; else its classifier."""
    for i, f in enumerate(found):
        if f.unit != "count" or f.counted:
            continue
        for g in reversed(found[max(0, i - 3):i]):
            if g.unit == "count" and g.counted and g.raw_unit == f.raw_unit and f.start - g.end < 40:
                f.counted = g.counted
                break
        if not f.counted:
            f.counted = _unit_surface(f)


def _unit_surface(f: Figure) -> str:
    s = f.raw_unit
    while s and s[0] in "十百千万亿":
        s = s[1:]
    return s


def _mult_of(f: Figure) -> Decimal:
    s = f.raw_unit
    i = 0
    while i < len(s) and s[i] in "十百千万亿":
        i += 1
    if i == 0 or _unit_surface(f) == "":
        return Decimal(1)
    return multiplier(s[:i])
