"""Find figures: every number with a unit or classifier in the clean text.

Each rule is a named pattern over the clean view (``textclean``); what it matches becomes a
``Figure`` with its exact value in the output unit, the number and unit as written, its
approximation, the noun it counts, and its span. Rules and their examples live side by side:
``tests/corpus/{numbers,quantity,negatives}.tsv``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

import regex

from .numbers import CN_NUMERAL_CHARS, multiplier, parse_arabic, parse_chinese
from .units import UnitInfo, lexicon, to_float, unit_table

AR = r"(?:\d{1,3}(?:,\d{3})+(?![\d])|\d+)(?:\.\d+)?"
CN = r"[零〇○一二两三四五六七八九十百千万亿]+"
QUOTES_OPEN = "“‘「『\"'《"
QUOTES_CLOSE = "”’」』\"'》"


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


@lru_cache(maxsize=1)
def _rules():
    lex = lexicon()
    units = unit_table()
    names = sorted(units, key=len, reverse=True)
    unit_alt = "|".join(regex.escape(u) for u in names)
    main = regex.compile(
        rf"(?P<num>(?<![\d.A-Za-z])(?:{AR})|(?<![零〇○一二两三四五六七八九十百千万亿]){CN})"
        r"(?P<in1>余|多|几)?(?P<mult>[十百千万亿]{1,3})?(?P<in2>余|多)?"
        rf"(?P<unit>{unit_alt})"
        r"(?P<post>左右|上下|以上|以下|以内|之内|多|余)?"
    )
    percent_words = regex.compile(rf"百分之(?P<num>{AR}|{CN})")
    rank = regex.compile(
        r"(?:居|位居|位列|列|排名|排在|排|名列|位于|跃居|升至|保持)"
        r"[^\s，。；,;、]{0,8}?(?P<fig>第(?P<num>[一二三四五六七八九十]+|\d{1,3})(?:位|名)?)"
    )
    ratio = regex.compile(rf"(?<![\d.:])(?P<parts>{AR}(?::{AR}){{1,5}})(?![\d:])")
    before_approx = sorted(lex["approx"]["before"].items(), key=lambda kv: -len(kv[0]))
    phrases = sorted(lex["not_figures"]["phrases"], key=len, reverse=True)
    phrase_re = regex.compile("|".join(regex.escape(p) for p in phrases))
    not_before = tuple(lex["not_figures"]["before"])
    not_after = tuple(lex["not_figures"]["after"])
    connector = regex.compile(rf"(?P<num>(?<![\d.A-Za-z]){AR})(?P<mult>[万亿千百]{{0,2}})(?P<sep>至|到|-|—|~|～|－|、|和|与)$")
    return {
        "units": units, "main": main, "percent_words": percent_words, "rank": rank,
        "ratio": ratio, "before_approx": before_approx, "phrase_re": phrase_re,
        "not_before": not_before, "not_after": not_after, "connector": connector,
        "inner": lex["approx"]["inner"], "after": lex["approx"]["after"],
        "weak_one": set(lex["weak_after_one"]), "heads": tuple(sorted(lex.get("count_heads", []), key=len, reverse=True)),
    }


def _num_value(num: str) -> Decimal:
    if num[0].isdigit():
        return parse_arabic(num)
    return parse_chinese(num)


_COUNTED_STOP = regex.compile(r"[^\p{Han}]|的|和|与|及|等|在|从|为|是|已|被|将|中|内|，")
_COUNTED_VERB = ("实现", "完成", "达到", "共有", "总数", "累计", "其中", "开工", "投资")


def _counted_after(text: str, end: int) -> str:
    m = _COUNTED_STOP.search(text, end, min(len(text), end + 9))
    stop = m.start() if m else min(len(text), end + 8)
    return text[end:stop]


def _counted(text: str, start: int, end: int, classifier: str) -> str:
    after = _counted_after(text, end)
    if after and not after.startswith(_COUNTED_VERB):
        return after[:8]
    # "重点项目75个": the noun just before the number
    j = start
    while j > 0 and regex.match(r"\p{Han}", text[j - 1]) and start - j < 12:
        j -= 1
    before = text[j:start]
    for verb in ("达到", "达", "为", "共", "有", "实现", "新增", "增加", "建成", "完成", "累计"):
        if before.endswith(verb):
            before = before[: -len(verb)]
    for tail in rules_heads():
        if before.endswith(tail):
            return tail
    return classifier


def rules_heads() -> tuple[str, ...]:
    return _rules()["heads"]


def _approx_before(text: str, start: int, rules) -> str | None:
    for word, code in rules["before_approx"]:
        if text.endswith(word, max(0, start - len(word)), start):
            return code
    return None


def _blocked(text: str, start: int, end: int, num: str, unit: str, rules, phrase_spans) -> bool:
    """Hard negatives: ordinals, codes, dates, names, slogans."""
    if text.endswith(rules["not_before"], max(0, start - 4), start):
        return True
    if text.startswith(rules["not_after"], end):
        return True
    for a, b in phrase_spans:
        if a < end and start < b:
            return True
    if _in_short_quote(text, start, end):
        return True  # a slogan in quotes: “四个焦作”, “六个100%”
    if not num[0].isdigit():
        if num in ("一", "两", "二") and unit in rules["weak_one"] and num == "一":
            return True
        if unit == "次":
            return True
        if num == "万" or num == "亿" or num == "千" or num == "百" and unit not in ("元",):
            return True
    if unit == "度" and not ("电" in text[max(0, start - 15):start] or text.startswith("电", end)):
        return True
    if unit in ("岁", "周岁") and not num[0].isdigit():
        return True
    return False


def _in_short_quote(text: str, start: int, end: int, span: int = 12) -> bool:
    """True when [start, end) lies inside a quotation of at most ``span`` characters."""
    lo = max(0, start - span)
    left = text[lo:start]
    k = max(left.rfind(q) for q in QUOTES_OPEN)
    if k < 0 or any(q in left[k + 1:] for q in QUOTES_CLOSE if q not in QUOTES_OPEN):
        return False
    open_at = lo + k
    right = text[end:end + span]
    ks = [right.find(q) for q in QUOTES_CLOSE]
    ks = [x for x in ks if x >= 0]
    if not ks:
        return False
    return end + min(ks) - open_at <= span + 1


def find(text: str) -> list[Figure]:
    """All figures of a clean text, in order, with clean offsets."""
    rules = _rules()
    units: dict[str, UnitInfo] = rules["units"]
    phrase_spans = [m.span() for m in rules["phrase_re"].finditer(text)]
    found: list[Figure] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in taken)

    # ranks: 居全市第一位
    for m in rules["rank"].finditer(text):
        a, b = m.span("fig")
        num = m["num"]
        val = _num_value(num)
        found.append(Figure(a, b, text[a:b], to_float(val), "rank", num, "", "rank", decimal=val))
        taken.append((a, b))

    # ratios: 4.9∶45.9∶49.1
    group_id = 0
    for m in rules["ratio"].finditer(text):
        parts = m["parts"].split(":")
        ctx = text[max(0, m.start() - 12):m.start()]
        if len(parts) < 3 and "比" not in ctx:
            continue
        if "时" in text[m.end():m.end() + 2] or "分" in text[m.end():m.end() + 1]:
            continue
        group_id += 1
        pos = m.start()
        for p in parts:
            val = parse_arabic(p)
            found.append(Figure(pos, pos + len(p), p, to_float(val), "ratio", p, ":", "ratio",
                                group=group_id, role="part", decimal=val))
            pos += len(p) + 1
        taken.append(m.span())

    for m in rules["main"].finditer(text):
        a, b = m.span()
        num, unit_s = m["num"], m["unit"]
        if not free(a, b):
            continue
        if _blocked(text, a, m.end("unit"), num, unit_s, rules, phrase_spans):
            continue
        try:
            val = _num_value(num)
        except (ValueError, ArithmeticError):
            continue
        if m["mult"]:
            val *= multiplier(m["mult"])
        unit = units[unit_s]
        approx = None
        if m["in1"] or m["in2"]:
            approx = rules["inner"][m["in1"] or m["in2"]]
        if m["post"]:
            approx = rules["after"][m["post"]]
        ab = _approx_before(text, a, rules)
        if ab and approx is None:
            approx = ab
        value = to_float(val * unit.factor)
        raw_unit = (m["mult"] or "") + unit_s
        rule = {"money": "money", "percent": "percent", "count": "count", "times": "multiple"}.get(unit.kind, "quantity")
        # the span is the number and its unit with 余/多 but without 左右/以上/以下
        end = b if m["post"] in ("多", "余") else m.end("unit")
        fig = Figure(a, end, "", value, unit.code, num, raw_unit, rule,
                     approx=approx, decimal=val * unit.factor)
        if unit.code == "count":
            fig.counted = _counted(text, a, b, unit_s)
        found.append(fig)
        taken.append((a, b))

    # 百分之十五
    for m in rules["percent_words"].finditer(text):
        a, b = m.span()
        if not free(a, b):
            continue
        try:
            val = _num_value(m["num"])
        except ValueError:
            continue
        found.append(Figure(a, b, "", to_float(val), "percent", m["num"], "百分之", "percent", decimal=val))
        taken.append((a, b))

    found.sort(key=lambda f: f.start)
    found = _bare_partners(text, found, rules)
    for f in found:
        f.text = text[f.start:f.end]
    return found


def _bare_partners(text: str, found: list[Figure], rules) -> list[Figure]:
    """``3—5家``, ``分别为7和29个``: a bare number before a connector and a figure shares
    that figure's unit. Ranges link low and high ends."""
    out: list[Figure] = []
    group = 1000
    for f in found:
        if f.unit in ("rank", "ratio"):
            out.append(f)
            continue
        head = text[max(0, f.start - 24):f.start]
        m = rules["connector"].search(head)
        if m and not (out and out[-1].end > f.start - len(m.group())):
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
                    group += 1
                    is_range = m["sep"] in "至到-—~～－"
                    partner = Figure(a, b, "", to_float(val * factor), f.unit, num, f.raw_unit,
                                     f.rule, counted=f.counted, group=group,
                                     role="low" if is_range else None, decimal=val * factor)
                    f.group = group
                    if is_range:
                        f.role = "high"
                    out.append(partner)
        out.append(f)
    return out


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
