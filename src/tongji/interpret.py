"""Meaning: metric, subject, measure, period and status of each figure.

Everything is read from the words around a figure in the clean text: its *lead-in* (the
words from the start of its clause, or from the figure before it in the clause, up to the
number) and its sentence. Vocabulary lives in ``data/meaning.yaml``; the metric catalogue in
``schemas/metrics.yaml``.
"""
from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from functools import cached_property, lru_cache

import numpy as np
import regex

from .datafiles import read_yaml
from .textclean import codepoints, compiled as _re, in_chars, is_han

from .figures import Figure, trie_pattern
from .periods import Period, as_stock, scan, vocab, year_period
from .segment import Article

_SENT_END = "。！？!?\n"
_CLAUSE_END = "，,；;：:" + _SENT_END
_TIME_RE = _re(
    r"(?:(?:19|20)\d{2}年(?:底|末|初)?)?(?:\d{1,2}(?:月份?)?(?:至|到|-|—|~)\d{1,2}月份?|\d{1,2}月份?(?:\d{1,2}[日号])?(?:底|末)?)"
    r"|(?:19|20)\d{2}年(?:底|末|初)?|上年末|年末|年底|年初|上半年|下半年|前三季度|[一二三四]季度|今年以来|年初以来|今年|去年|上年|全年|年内|当年|目前"
    r"|截至|截止|[上下]午|当日|当天|(?:过去|近|这)?[一二三四五六七八九十两\d]{1,2}年(?:来|间|以来)?(?=累计|共|来|间|以来|，|,)")
# every time expression _TIME_RE finds holds one of these characters or 目前 (not 目 alone:
# every 项目 holds one; nor 目前 in the class, which would keep the engine from skipping ahead
# to the characters)
_TIME_CHARS = _re(r"[年月季截午当]")


def _strip_time(s: str) -> str:
    """s without its time expressions."""
    return _TIME_RE.sub("", s) if _TIME_CHARS.search(s) or "目前" in s else s


_PUNCT = "“”‘’\"'「」《》()（）[]【】·—-、 "


class Words(tuple):
    """A word list, longest first, with its patterns compiled once (as tries): ``any_re``
    finds any of the words (the longest of those that start first), ``end_re`` the longest
    one a text ends with; ``ending(s)`` does that faster. ``last_chars`` and ``first_chars``:
    the characters the words end and start with (a text that ends with none of them ends with
    no word). ``w in words`` asks a set, not each word in turn."""

    def __new__(cls, words):
        self = super().__new__(cls, sorted(set(words), key=lambda w: (-len(w), w)))
        self._set = frozenset(self)
        self.last_chars = frozenset(w[-1] for w in self)
        self.first_chars = frozenset(w[0] for w in self)
        return self

    def __contains__(self, w) -> bool:
        return w in self._set

    # the patterns are compiled when first used: most lists need one or two of them, and a
    # list of hundreds of words takes a tenth of a second to compile
    @cached_property
    def _body(self) -> str:
        return trie_pattern(self) if self else "(?!)"

    @cached_property
    def any_re(self):
        return _re(self._body)

    @cached_property
    def end_re(self):
        return _re(f"{self._body}$")

    @cached_property
    def last_char_re(self):
        """Finds any of the characters the words end with (a text holding none of them holds
        no word; cheaper to ask than last_chars of each of its characters)."""
        return _re(f"[{''.join(map(regex.escape, sorted(self.last_chars)))}]" if self else "(?!)")

    @cached_property
    def reversed_re(self):
        return _re(trie_pattern(w[::-1] for w in self) if self else "(?!)")

    @cached_property
    def minimal_re(self):
        """The words that hold no other word of the list: the first of them found in a text
        ends where the first occurrence of any word ends (see first_end)."""
        minimal = [w for w in self if not any(o != w and o in w for o in self)]
        return _re("|".join(regex.escape(w) for w in minimal) or "(?!)")

    def ending(self, s: str) -> str | None:
        """The longest of the words that s ends with (a trie matched on s reversed)."""
        if "\n" in s:  # $ also matches before a final line break
            m = self.end_re.search(s)
            return m.group() if m else None
        if not s or s[-1] not in self.last_chars:
            return None
        m = self.reversed_re.match(s[::-1])
        return m.group()[::-1] if m else None

    def first_end(self, s: str) -> int:
        """The smallest end offset of any occurrence of the words in s (_NEVER when none):
        s[:k] holds one of the words exactly when this is <= k."""
        m = self.minimal_re.search(s)
        return m.end() if m else _NEVER


_NEVER = 1 << 62


@lru_cache(maxsize=1)
def _vocab():
    v = vocab()
    words = {
        "growth": Words(v["growth_words"]), "decline": Words(v["decline_words"]),
        "change": Words(v["change_words"]), "share": Words(v["share_words"]),
        "contrib": Words(v["contribution_words"]), "stock": Words(v["stock_words"]),
        "plan": Words(v["status"]["plan"]), "expected": Words(v["status"]["expected"]),
        "actual": Words(v["status"]["actual"]), "heads": Words(v["metric_heads"]),
        "subject_verbs": Words(v["subject_verbs"]), "strip_lead": Words(v["strip_lead"]),
        "strip_tail": Words(v["strip_tail"]), "home": Words(v["home_words"]),
        "city": Words(v["city_words"]), "province": Words(v["province_words"]),
        "places": Words(v["home_words"] + v["city_words"] + v["province_words"]),
        "not_sectors": frozenset(v["not_sectors"]), "verbs2": Words(v["np_verbs"]), "static": Words(v["static_metrics"]),
        "plan_not": Words(v["status"]["plan_not"]),
        "growth_rate": Words(("增长率",)), "expected_not": Words(("预期目标",)),
        # the event the article reports; an unspecified future
        "event": Words(("此次", "本次", "这次", "当天", "当日", "活动中")),
        "forecast": Words(("建成后", "投产后", "达产后", "建成投产后")),
    }
    # every word _Cues looks for: most sentences hold none
    words["cues"] = Words([w for k in ("plan", "expected", "plan_not", "event", "forecast") for w in words[k]])
    # the catalogue's aliases of 3 characters or more (see _catalogue_suffix)
    words["aliases"] = Words(a for a in catalogue() if len(a) >= 3)
    return words


@lru_cache(maxsize=1)
def catalogue() -> dict[str, str]:
    """alias (and name) -> metric id, from schemas/metrics.yaml."""
    doc = read_yaml("schemas/metrics.yaml") or {}
    alias: dict[str, str] = {}
    for m in doc.get("metrics", []):
        for a in [m.get("name"), *(m.get("aliases") or [])]:
            if a:
                alias.setdefault(str(a), m["id"])
    return alias


def metric_id_of(text: str | None) -> str | None:
    """The catalogue id of a metric phrase: the phrase is an alias, once the words that do not
    change what is measured are taken off its front (全区, 全年, 实现, 完成, 累计). A
    sub-category (工业重点项目, 10亿元以上项目) is not its parent indicator: no id."""
    if not text:
        return None
    alias = catalogue()
    if text in alias:
        return alias[text]
    m = _neutral_prefix().match(text)
    return alias.get(text[m.end():]) if m else None


@lru_cache(maxsize=1)
def _neutral_prefix():
    v = vocab()
    words = v["home_words"] + v["city_words"] + v["province_words"] + v["neutral_prefixes"]
    return _re("^(?:" + "|".join(sorted(map(regex.escape, words), key=len, reverse=True)) + ")+")


# ---------------------------------------------------------------- places

# development zones, counted as written; other places end in one of _PLACE_CHARS after a
# name of two or three Han characters. A zone ends in 区 and holds no other: it is found
# at the 区 the place loop looks at anyway, longest first.
_ZONES = frozenset(("示范区", "高新区", "开发区", "产业集聚区", "经开区"))
assert all(z.endswith("区") and z.count("区") == 1 and len(z) in (3, 5) for z in _ZONES) \
    and not any(a != b and a.endswith(b) for a in _ZONES for b in _ZONES)  # (the 3 are tried first)
_PLACE_CHARS = "区县市镇乡省"
_GENERIC = {"全区", "该区", "本区", "我区", "辖区", "园区", "城区", "社区", "小区", "景区", "片区", "全县",
            "全市", "我市", "本市", "全省", "我省", "新城区", "主城区", "中心城区", "市区", "校区", "库区", "矿区",
            "功能区", "集聚区", "试验区", "保护区", "先行区"}
_NOT_PLACE_END = ("社区", "小区", "园区", "景区")
_HAN = _re(r"\p{Han}")
_NOT_NAME = frozenset("全本该我各区县市省的和与在了是为对到个一等及、，。暨会委府政党人大中上下老街路说指出"
                "者从据获悉讯报记向将被把由其此该这那")


def home_places(text: str, place: str | None, cps: np.ndarray | None = None) -> dict[str, str]:
    """The page's home place, city and province: from ``place`` or the most named ones.
    (cps: the text's code points, when the caller has them.)"""
    counts: dict[str, int] = {}
    at_boundary: set[str] = set()  # names printed after punctuation or at the start
    if cps is None:
        cps = codepoints(text)
    # a suffix character after two Han characters (the 区 of a zone counts the zone)
    at = np.flatnonzero(in_chars(cps, _PLACE_CHARS)[2:]) + 2
    for i in at[is_han(cps[at - 1]) & is_han(cps[at - 2])].tolist():
        w = text[i]
        if w == "区":
            zone = text[i - 2:i + 1]
            if zone not in _ZONES:
                zone = text[max(0, i - 4):i + 1]
            if zone in _ZONES:
                counts[zone] = counts.get(zone, 0) + 1
                continue
        for k in (2, 3):  # the name is the two or three characters before the suffix
            if i < k:
                break
            name = text[i - k:i]
            if not _NOT_NAME.isdisjoint(name):
                break  # the longer name holds the shorter one
            word = name + w
            if word not in _GENERIC and not word.endswith(_NOT_PLACE_END):
                counts[word] = counts.get(word, 0) + 1
                before = text[i - k - 1] if i > k else ""
                if not before or before in _NOT_NAME or not _HAN.match(before):
                    at_boundary.add(word)
    def most(suffixes):
        # a place the page names more than once, or once standing alone
        c = [(n, w) for w, n in counts.items() if w.endswith(suffixes) and (n >= 2 or w in at_boundary)]
        return max(c)[1] if c else None
    home = place or most(("示范区", "高新区", "开发区", "新区", "区", "县"))
    if not home:
        m = _re(r"全县|全区|全镇|全乡|全市").search(text)
        home = m.group() if m else "全区"
    city = most(("市",)) or "全市"
    if place and place.endswith("市"):
        city = place
    province = most(("省",)) or "全省"
    return {"home": home, "city": city, "province": province}


# ---------------------------------------------------------------- helpers

def _strip(phrase: str, v) -> str:
    """A lead-in phrase without times, connectives and verbs at its ends (a place at its
    front goes too, unless it is all there is)."""
    p = _strip_time(phrase).strip(_PUNCT)
    lead, tail, places = v["strip_lead"], v["strip_tail"], v["places"]
    while p:
        # (a word is looked for only where p starts with one's first character)
        c = p[0]
        m = lead.any_re.match(p) if c in lead.first_chars else None
        if m is None and c in places.first_chars:
            m = places.any_re.match(p)
            if m and m.end() == len(p):
                m = None
        if m:
            p = p[m.end():].lstrip(_PUNCT)
            continue
        w = tail.ending(p)
        if w:
            p = p[: -len(w)].rstrip(_PUNCT)
            continue
        break
    return p  # (stripped at both ends: each cut strips the end it cuts)


def _has_any(s: str, words: Words) -> str | None:
    """The first of words found in s (the longest of those that start there)."""
    m = words.any_re.search(s)
    return m.group() if m else None


def _spans(marks: np.ndarray, n: int, starts: np.ndarray, ends: np.ndarray, limit: int) -> tuple[list, list]:
    """For each span [start, end) of a text of n characters: where the stretch around it
    bounded by marks (the sorted offsets of some characters) starts (just after the last mark
    before start, at most limit characters back) and ends (the first mark at or after end, at
    most limit characters on). One sorted search for all spans of a page."""
    marks = np.concatenate(([-1], marks, [n]))
    s0 = np.maximum(marks[np.searchsorted(marks, starts) - 1] + 1, starts - limit)
    s1 = np.minimum(marks[np.searchsorted(marks, ends)], ends + limit)
    return s0.tolist(), s1.tolist()


# ---------------------------------------------------------------- main

def interpret(text: str, arts: list[Article], figs: list[Figure], published: dt.date | None = None,
              place: str | None = None, cps: np.ndarray | None = None) -> list[Figure]:
    """Fill the meaning fields of figs (clean offsets) in place. (cps: the code points of
    text, when the caller has them: ``Clean.cps``.)"""
    if not figs:
        return figs
    v = _vocab()
    if cps is None:
        cps = codepoints(text)
    places = home_places(text, place, cps)
    art_of = _article_index(arts, figs)
    by_art: dict[int, list[int]] = {}  # article -> its figures (indices into figs)
    for i, (f, ai) in enumerate(zip(figs, art_of)):
        f.article = ai
        by_art.setdefault(ai, []).append(i)
    starts = np.fromiter((f.start for f in figs), np.int64, len(figs))
    ends = np.fromiter((f.end for f in figs), np.int64, len(figs))
    # each figure's sentence (at most 200 characters either side) and the start of its clause
    # (the ends of sentences are ends of clauses: picked from those)
    clause_marks = np.flatnonzero(in_chars(cps, _CLAUSE_END))
    sent_marks = clause_marks[in_chars(cps[clause_marks], _SENT_END)]
    sent_start, sent_end = _spans(sent_marks, len(cps), starts, ends, 200)
    clause_start, _ = _spans(clause_marks, len(cps), starts, ends, 60)
    carry_year: int | None = None
    pub_year = year_period(published.year) if published else None
    for ai, members in by_art.items():
        art = arts[ai]
        periods = scan(text, art.start, art.end, published, context_year=carry_year)
        # the article's first dated event or month: the period of figures printed before any
        # time word (headlines), and of what 此次 refers to
        first_event = next((p for p in periods if p.event or (
            p.start and p.end and not p.stock and (p.start.year, p.start.month) == (p.end.year, p.end.month))), None)
        positions = [p.pos for p in periods]
        prev: Figure | None = None
        parent: Figure | None = None  # the last count before a 其中: 重点项目105个，其中工业项目35个
        prev_sent = (-1, -1)
        cues: _Cues | None = None
        prev_status = "actual"
        for i in members:
            f = figs[i]
            s0, s1, c0 = sent_start[i], sent_end[i], clause_start[i]
            sent = (s0, s1)
            same_sentence = prev is not None and prev_sent == sent
            if cues is None or cues.span != sent:
                cues = _Cues(text, s0, s1, v)
                context = text[s0:min(s1 + 1, len(text))].strip()
            f.context = context
            lead_from = max(c0, prev.end) if (prev is not None and prev.end > c0 and same_sentence) else c0
            lead = text[lead_from:f.start]
            clause = text[c0:f.start] if lead_from != c0 else lead
            _measure(f, lead, clause, v)
            if prev is not None and same_sentence and prev.unit == f.unit and prev.measure \
                    and _LIST_LEAD.fullmatch(lead.strip()):
                # 21.4%、24.1%; 980件、640件: a list shares the measure of its first item
                f.measure = prev.measure
                if prev.value < 0 < f.value:
                    _negate(f)
            same_part = same_sentence and not (cues.semicolon and _SEMICOLON.search(text, prev.end, f.start))
            _metric_subject(f, lead, clause, cues.noisy and _is_noisy(clause), text, c0,
                            prev if same_part else None, places, v)
            if f.unit == "count" and f.metric_text:
                k = text.rfind("其中", s0, f.start)
                if k >= 0 and parent is not None and parent.counted == f.counted and parent.metric_text \
                        and f.counted and parent.metric_text.endswith(f.counted) and f.metric_text.endswith(f.counted) \
                        and len(parent.metric_text) > len(f.counted) and parent.end < k:
                    # 其中，工业项目35个 under 重点项目105个 -> 工业重点项目
                    mod = f.metric_text[: -len(f.counted)]
                    pmod = parent.metric_text[: -len(f.counted)]
                    if mod and len(mod) <= 8 and len(pmod) <= 6 and not parent.metric_text.startswith(mod) \
                            and mod not in pmod:
                        # 工业 + 重点项目 -> 工业重点项目; 集中开工 + 工业项目 -> 集中开工工业项目
                        f.metric_text = (mod + parent.metric_text) if len(pmod) <= 2 or _re(r"以上|以下").search(mod) \
                            else (pmod + f.metric_text)
                        f.metric_id = metric_id_of(f.metric_text)
                elif k < 0:
                    parent = f
            _period(f, periods, first_event, pub_year, lead, cues,
                    prev if same_sentence else None, v, positions)
            _status(f, cues, lead, published, v,
                    prev_status if cues.part_from <= f.start else None)
            if f.unit != "rank" or prev_sent != sent:
                prev = f
            prev_sent, prev_status = sent, f.status
        years = [p.start.year for p in periods if p.start and not p.stock and p.label[:4].isdigit()
                 and len(p.label) == 4]
        if years:
            carry_year = years[-1]
    _respectively(text, figs)
    return figs


_LIST_LEAD = _re(r"[、和及与]|分别为?|")  # between the items of a list
_SEMICOLON = _re(r"[；;]")


def _article_index(arts: list[Article], figs: list[Figure]) -> list[int]:
    out = []
    j = 0
    for f in figs:
        while j + 1 < len(arts) and arts[j].end <= f.start:
            j += 1
        out.append(j)
    return out


def _measure(f: Figure, lead: str, clause: str, v) -> None:
    unit = f.unit
    if unit == "rank":
        f.measure = "rank"
        return
    if unit == "ratio":
        f.measure = "ratio"
        return
    if unit == "times":
        f.measure = "multiple"
        return
    if unit == "percentage_point":
        f.measure = "level" if _has_any(lead, v["contrib"]) else "pp_change"
        if v["decline"].ending(lead.rstrip("了")) or _PP_DOWN.search(lead):
            _negate(f)
        return
    if unit in ("percent", "permille"):
        core = lead[-12:].rstrip("了为达到是约近")
        if _RATE_END.search(lead) and not v["growth_rate"].ending(core):
            f.measure = "rate"
        elif _has_any(lead, v["share"]):
            f.measure = "rate" if _OF_PLAN_SHARE.search(lead) else "share"
        elif v["growth"].ending(core) or _GROWTH_END.search(core):
            f.measure = "growth"
            if _DOWN_END.search(lead):
                _negate(f)
        elif ("完成" in lead and ("计划" in lead or "任务" in lead or "目标" in lead)) or \
                _OF_TARGET.search(lead):
            f.measure = "rate"  # 完成全年计划的107%, 为预算的102.3%: completion of a target
        else:
            f.measure = "level" if not _GROWTH_WORD.search(lead[-6:]) else "growth"
        return
    change_in_lead = None
    if "增" in clause or "减" in clause or "新落地" in clause or "入库" in clause:
        for change_in_lead in _CHANGE_WORD.finditer(clause):
            pass
    if change_in_lead and not _TOTAL_WORD.search(lead[change_in_lead.end():]):
        f.measure = "change"
        if change_in_lead.group() == "减少":
            _negate(f)
        return
    # a change word the lead-in ends with once its times are taken out (its characters are
    # the lead-in's: without a change word's last character, there is none)
    change = v["change"]
    w = change.ending(_NOT_HAN_END.sub("", _strip_time(lead))[-8:]) \
        if change.last_char_re.search(lead) else None
    if w:
        f.measure = "change"
        if w in ("减少", "减"):
            _negate(f)
    else:
        f.measure = "level"


_PP_DOWN = _re(r"(?:下降|回落|降低|低|减少)了?$")
_RATE_END = _re(r"率(?:为|达到?|是)?$")
_OF_PLAN_SHARE = _re(r"占.{0,8}(?:目标|计划|任务)")
_GROWTH_END = _re(r"(?:增长|增速|增幅|下降|同比)\w{0,3}$")
_DOWN_END = _re(r"(?:下降|减少|下跌|回落|下滑|降低)[了为]?$")
_GROWTH_WORD = _re(r"增长|增速|增幅|下降")
_TOTAL_WORD = _re(r"(?:总数|总量|累计|达到|共有)")
_NOT_HAN_END = _re(r"[^\p{Han}]+$")
_CHANGE_WORD = _re(r"(?:新增|净增|增加(?!值|到|至)|减少(?!到|至)|新落地|调增|入库)")


def _negate(f: Figure) -> None:
    if f.value > 0:
        f.value = -f.value
        f.decimal = -f.decimal


_BENCHMARK = _re(  # 占全市总量, 居全市第一, 全市前三: the city is a benchmark
    r"(?:占|居|位居|位列|排名|高于|低于)(?:全市|全省|全国|我市|我省)|(?:全市|全省|全国)(?:第|前|平均)")
_BENEFICIARY = ("为", "向", "对", "给", "帮助", "帮", "支持", "助力")
_COMPARISON = _re(
    r"(?:比上年同期|比去年同期|比上年末|比上年|比去年|较上年|较去年|比年初|较年初|比上月|同比|环比)")
_CHANGE_WORDS = ("增长", "增速", "增幅", "下降", "提高", "提升", "上涨", "下滑", "回落", "降低", "减少",
                 "增产", "减产", "年均增长")
_CHANGE_AT_END = _re(f"(?:{'|'.join(_CHANGE_WORDS)})(?:了|为|达)?$")
_CHANGE_END = tuple({w[-1] for w in _CHANGE_WORDS} | set("了为达"))  # what _CHANGE_AT_END can end with
_CONDITION = _re(
    r"(?:达产后|建成后|投产后|建成投产后|届时|扣除价格因素(?:后)?|按可比价格?计算|实际(?=增长|下降|$))")
_GAP = _re(r"(?:增速|增幅)?比.{0,16}?(?:加快|提高|回落|放缓|下降|上升|高|低)了?$")


def _is_noisy(s: str) -> bool:
    """Whether s may hold a dateline or a report's 报告指出 (see _lead_noise)."""
    return "记者" in s or "本报讯" in s or "报告指出" in s


def _lead_noise(s: str) -> str:
    """s without a dateline (本报讯 记者 …) or a report's 报告指出 at its front."""
    return _LEAD_NOISE.sub("", s) if _is_noisy(s) else s


_NP_AFTER = _re(r"(?:[\p{Han}A-Za-z]+|“[^”]{0,10}”)+")  # (runs of characters: one step each)
_NP_CUT = _re(
    r"的|和|与|及|等|在|从|为|是|已|被|将|中|内|完成|实现|进行|涉及|纷纷|全部|正在|获得|享受|入驻|受益|通上"
    r"|建成|开工|投产|竣工|参加|参与|达到|共有|总数|累计|同比|比上年|分别|提供|带动|解决|改造|工作|任务")
_GROUP_END = ("项目", "企业", "公司", "集团", "产业", "集群", "园区", "产业园", "园", "行业", "工程", "基地",
              "医院", "学校", "幼儿园", "中心", "平台", "合作社", "城", "村", "社区", "部门", "单位", "机构", "业")
_LEAD_NOISE = _re(r"^.*?(?:本报讯|本报记者|记者)[^）)]*[）)]|^.*?报告指出[:：]?[“\"]?")
_INVEST = frozenset(("总投资", "计划总投资", "完成投资", "投资", "产值", "总产值", "增加值", "收入", "成交金额",
                     "节约资金", "审减金额", "利润", "税收", "销售收入", "营业收入", "主营业务收入"))


def _np_after(text: str, pos: int) -> str:
    """The noun phrase right after pos (5万亩土地规模整治项目 -> 土地规模整治项目)."""
    m = _NP_AFTER.match(text, pos, pos + 24)
    if not m:
        return ""
    np_ = m.group()
    cut = _NP_CUT.search(np_)
    return np_[: cut.start()] if cut else np_


_PUNCT_NOT_LIST = _PUNCT.replace("、", "")


def _clean_metric(m: str) -> str:
    return m.strip(_PUNCT_NOT_LIST).strip("、")


def _metric_subject(f: Figure, lead: str, clause: str, noisy: bool, text: str, clause_start: int,
                    prev: Figure | None, places: dict, v) -> None:
    """The metric and subject of f. (noisy: whether its clause may hold a dateline, _is_noisy.)"""
    home = places["home"]
    subject = home
    scope = clause
    if "市" in scope or "省" in scope or "国" in scope:
        scope = _BENCHMARK.sub("", scope)
    explicit_place = v["places"].any_re.search(scope) is not None
    if explicit_place and f.measure != "rank":
        if _has_any(scope, v["city"]):
            subject = places["city"]
        elif _has_any(scope, v["province"]):
            subject = places["province"]
    # the lead-in is the end of the clause: no dateline in the clause, none in the lead-in
    phrase = _lead_noise(lead) if noisy else lead
    lead_in = phrase  # (without a dateline)
    share_phrase = f.measure == "share" and "占" in phrase
    # growth words and comparisons are not part of the metric
    if "比" in phrase or "较" in phrase:
        phrase = _COMPARISON.sub("", phrase)
    if phrase.endswith(_CHANGE_END):
        phrase = _CHANGE_AT_END.sub("", phrase)
    if phrase.endswith(("新增", "净增", "增加")):
        phrase = phrase[:-2]
    if "后" in phrase or "届时" in phrase or "价" in phrase or "实际" in phrase:
        phrase = _CONDITION.sub("", phrase)
    if "比" in phrase:
        # 增速比1—9月加快: the gap of a growth rate; the metric is the one that grows
        phrase = _GAP.sub("", phrase)
    after = _after_unit(text, f)
    np_after = _np_after(text, after) if f.unit == "count" else ""
    if share_phrase:
        metric = phrase[phrase.index("占"):].rstrip("的").strip(_PUNCT)
        metric = _re(r"(?:比例|比重)?(?:达到|达|为)?$").sub("", metric)
    elif np_after and "的" not in phrase:
        metric = np_after  # 确保今年105个重点项目 -> 重点项目: what a count counts
    else:
        metric = _strip(phrase, v)
        if prev is not None and prev.approx in ("at_least", "at_most") and text[prev.end:f.start] == lead \
                and lead.startswith(("以上", "以下")) and metric.startswith(("以上", "以下")):
            metric = text[prev.start:prev.end] + metric  # 10亿元以上项目36个: the class the threshold defines
    if np_after:
        # 此次集中开工的27个项目 -> 集中开工项目 (what the lead-in says of it before 的)
        base = metric[:-1] if metric.endswith("的") and len(metric) <= 9 else ""
        metric = base + np_after
    elif f.unit == "count":
        if not metric and f.counted and f.counted != f.raw_unit and (prev is None or not prev.metric_text):
            metric = f.counted
    elif f.unit not in ("percent", "permille", "percentage_point") and (
            not metric or metric in v["verbs2"] or len(metric) <= 4 and v["verbs2"].ending(metric)):
        # 成功调增8.3平方公里建设用地, 5万亩土地规模整治项目: the noun phrase after the figure
        metric = _np_after(text, after) or metric
    # a catalogued name ends the phrase: keep it whole (规模以上工业增加值); what is before it
    # (or before a metric's head word) may be the subject — not for a count (whose metric is
    # what it counts)
    front = ""
    if f.unit != "count":
        alias = _catalogue_suffix(metric, v)
        if alias and alias != metric and len(alias) >= 2:
            front = metric[: -len(alias)]
            head = alias
        elif not (alias and alias == metric):
            head = v["heads"].ending(metric)
            if head and len(metric) > len(head):
                front = metric[: -len(head)]
    if front:
        verb = v["subject_verbs"].ending(front)
        if verb:
            front = front[: -len(verb)]
        front = front.rstrip("的").strip(_PUNCT)
        c = _ENUM_COUNT.search(front)
        if c and "、" in front[: c.start()]:
            front = front[c.start():]  # 装备制造、食品加工、新材料三大主导产业 -> 三大主导产业
        if front.startswith(("为", "向", "对", "给", "帮助", "帮", "支持")) \
                or lead_in.lstrip(_PUNCT).startswith(_BENEFICIARY):
            front = ""  # 为企业融通资金: who benefits is not who the figure describes
        is_entity = (bool(verb) or front.endswith(_GROUP_END)) and len(front) >= 2 \
            and not v["verbs2"].any_re.search(front) and not front.startswith(("超额", "超", "比"))
        if front and is_entity and not _has_any(front, v["places"]) and len(front) <= 16:
            subject = front
            metric = ("完成" + head) if verb == "完成" and not head.startswith("完成") else head
    if metric in ("增速", "增幅", "增长", "增长率", "速度"):
        metric = ""
    if f.measure == "rate" and prev is not None and prev.metric_text and \
            _OF_TARGET.search(lead):
        metric = prev.metric_text + "完成率"  # 为预算的102.3%: how much of its target it reached
    if not metric and prev is not None and prev.metric_text:
        # 总数达12家, 约合360亩, 分别增长21.4%: the metric of the figure before
        metric = prev.metric_text
        if subject == home and prev.subject:
            subject = prev.subject
    elif f.measure == "share" and prev is not None and prev.metric_text and share_phrase:
        metric = prev.metric_text + metric
        if subject == home and prev.subject:
            subject = prev.subject
    if prev is not None and subject == home and prev.subject and prev.subject != home and not explicit_place \
            and (metric == prev.metric_text or f.measure in ("growth", "share", "pp_change", "rate")
                 or metric in v["heads"] or metric.endswith(v["static"])):
        subject = prev.subject  # the rest of a sentence about one subject
    if subject == home and metric and metric.endswith(v["static"]) and not explicit_place:
        named = [x for x in _NAMED_THING.findall(text[max(0, clause_start - 80):f.start])
                 if not _re(r"[\d余多个家座所处]|^等").search(x)]  # not a count (60余个街心公园)
        if named:
            subject = named[-1]  # 占地面积约24公顷: the area of the thing the sentence is about
    # the amount of a project group named just before: 重点项目282个，总投资1098亿元
    if f.unit != "count" and subject == home and prev is not None and metric and (metric in _INVEST or metric in v["heads"]):
        if prev.unit == "count" and _re(r"项目|企业|工程").search(prev.counted or ""):
            subject = prev.metric_text or prev.counted
        elif prev.unit == f.unit and prev.subject and prev.subject != home:
            subject = prev.subject
    # 总投资100亿元的恒大大文化旅游康养城: the amount of what follows 的
    if subject == home and text.startswith("的", after) and f.unit != "count":
        np_ = _np_after(text, after + 1)
        if np_ and np_.endswith(_GROUP_END + ("城", "园", "区")) and len(np_) >= 3:
            subject = np_
    if subject == home:
        m = _SECTOR.match(metric) if metric and metric.endswith(_SECTOR_AMOUNTS) else None
        if m and m.group(1) not in v["not_sectors"]:
            subject = m.group(1)  # 高新技术产业增加值: the sector is the subject
    head_of_clause = (_lead_noise(clause) if noisy else clause).lstrip(_PUNCT)
    anaphor = _ANAPHOR.match(head_of_clause) if head_of_clause.startswith(("该", "此", "这", "公司", "集团")) \
        else None
    if anaphor:
        kind = anaphor.group(1) or anaphor.group(2)
        pattern = _NAMED_PROJECT if kind == "项目" else _NAMED_ORG
        named = [x for x in pattern.findall(text[max(0, clause_start - 400):f.start])
                 if not x.startswith(("该", "此", "这"))]
        if named:
            subject = named[-1]  # 该项目, 公司: the company or project named before
    f.metric_text = _clean_metric(metric) or None
    # a share is catalogued as the part's indicator: 税收收入占一般公共预算收入 -> 税收收入
    f.metric_id = metric_id_of(f.metric_text.split("占")[0] if f.measure == "share" and f.metric_text
                               else f.metric_text)
    f.subject = subject


_SECTOR_AMOUNTS = ("增加值", "总产值", "产值", "税收", "营业收入", "主营业务收入", "收入", "利润", "利税")
_SECTOR = _re(r"^(\p{Han}{2,10}?(?:产业|行业|服务业|制造业|工业|农业|业))(?:实现|完成|贡献)?"
              f"(?:{'|'.join(_SECTOR_AMOUNTS)})$")


def _catalogue_suffix(metric: str, v) -> str | None:
    """The longest catalogue alias (3 characters or more) that metric ends with."""
    return v["aliases"].ending(metric)


def compile_words() -> None:
    """Compile now every pattern of the word lists (else each is compiled when first used):
    for a process that others are forked from."""
    for words in _vocab().values():  # (the catalogue's aliases too)
        if isinstance(words, Words):
            for name in ("any_re", "end_re", "reversed_re", "minimal_re", "last_char_re"):
                getattr(words, name)


def _after_unit(text: str, f: Figure) -> int:
    """Clean offset right after the figure and its approximation words (以上, 左右)."""
    pos = f.end
    if text.startswith(("左右", "以上", "以下", "上下", "以内"), pos):
        return pos + 2
    if text.startswith(("多", "余"), pos):
        return pos + 1
    return pos


def _dots(m) -> str:
    """As many dots as m has characters."""
    return "·" * len(m.group())


class _Cues:
    """Where the words that set a figure's period and status first end in a sentence, so that
    each figure of the sentence asks only whether they end before it; and whether the sentence
    holds a semicolon or a dateline at all (most do not: their figures need not look)."""

    def __init__(self, text: str, s0: int, s1: int, v):
        self.span = (s0, s1)
        sentence = text[s0:s1]
        self.s0 = s0
        if v["cues"].any_re.search(sentence) is None:
            self.masked = sentence  # (most sentences: none of the words below)
            self.plan = self.expected = self.expected_not = self.event = self.forecast = _NEVER
        else:
            # 计划的, 工作计划: words holding a cue that are not one
            self.masked = v["plan_not"].any_re.sub(_dots, sentence)
            self.plan = v["plan"].first_end(self.masked)
            self.expected = v["expected"].first_end(self.masked)
            # (only asked where an expected word is)
            self.expected_not = v["expected_not"].first_end(self.masked) if self.expected < _NEVER else _NEVER
            self.event = v["event"].first_end(sentence)
            self.forecast = v["forecast"].first_end(sentence)
        # a sentence opening with 其中 or 包括 lists parts of the one before: from where that
        # word ends, its figures keep the status of the figure before
        opening = sentence.lstrip()
        at = s0 + len(sentence) - len(opening)
        self.part_from = at + 2 if opening.startswith(("其中", "包括")) else _NEVER
        self.semicolon = _SEMICOLON.search(sentence) is not None
        self.noisy = _is_noisy(sentence)

    def before(self, pos: int) -> str:
        """The masked sentence up to clean offset pos."""
        return self.masked[: pos - self.s0]


def _period(f: Figure, periods: list[Period], first_event: Period | None, pub_year: Period | None,
            lead: str, cues: _Cues, prev: Figure | None, v, positions: list[int]) -> None:
    """The period of f: that of the last time expression before it in its article, but for
    the cases below; with none before it, the article's first event or pub_year (the year of
    publication, as a period)."""
    if f.metric_text and f.metric_text.endswith(v["static"]) and not _ADDED.search(lead):
        return  # a static attribute (占地面积, 建筑面积) has no period
    if f.metric_text and f.metric_text.endswith("总投资") and f.subject and \
            f.subject.endswith(("园", "城", "公司", "基地", "中心", "小镇", "综合体")) and "项目" not in f.subject:
        return  # the total investment of one named project
    if prev is not None and f.measure in ("growth", "share", "pp_change") and prev.metric_text \
            and f.metric_text and (f.metric_text.startswith(prev.metric_text)) and prev.period_end \
            and bisect_right(positions, f.start) == bisect_left(positions, prev.end):
        # a growth rate or a share has the period of its level
        f.period, f.period_start, f.period_end = prev.period, prev.period_start, prev.period_end
        return
    i = bisect_right(positions, f.start)  # periods are in order of position
    cur = periods[i - 1] if i else None
    cut = f.start - cues.s0  # the sentence before the figure
    if first_event is not None and cues.event <= cut:
        cur = first_event  # 此次集中开工的27个项目: the event the article reports
    if cur is None:
        cur = first_event or pub_year
    if cur is None:
        return
    if cues.forecast <= cut:
        return  # a forecast for an unspecified future
    if not cur.stock and v["stock"].any_re.search(lead):
        multi_year = cur.start is not None and cur.end is not None and cur.end.year > cur.start.year
        if not multi_year:
            cur = as_stock(cur)
    f.period, f.period_start, f.period_end = cur.label, cur.start, cur.end


_ADDED = _re(r"新增|增加|减少|完成|实现")  # what was added to a static attribute has a period


def _status(f: Figure, cues: _Cues, lead: str, published: dt.date | None, v,
            inherited: str | None) -> None:
    status = inherited or "actual"
    if v["actual"].any_re.search(lead):
        f.status = "actual"
        return
    cut = f.start - cues.s0
    if cues.expected <= cut and not cues.expected_not <= cut:
        status = "expected"
    if cues.plan <= cut and status != "expected":
        s = cues.before(f.start)
        # the cue must be a word before the figure, not 计划的 in 完成计划的107%
        k, w = max((s.rfind(w), w) for w in v["plan"] if w in s)
        if not s.startswith("的", k + len(w)):
            status = "plan"
    if f.period_start and published and f.period_start > published and status == "actual":
        status = "plan"
    if f.period and f.period.startswith("..") and f.period_end and published and f.period_end > published \
            and status == "actual" and "到" in cues.before(f.start):
        status = "plan"
    f.status = status


# 为预算的102.3%, 完成全年计划的107%: a rate of completion of a target
_OF_TARGET = _re(r"(?:为|达|是|完成)(?:年度|全年)?(?:预算|计划|目标|任务)(?:数)?的$")
_ANAPHOR = _re(r"^(?:该|此|这个?)(公司|企业|项目|集团)|^(公司|集团)")
_NAMED_PROJECT = _re(r"[\p{Han}\d.（）()]{4,40}?项目")
_NAMED_ORG = _re(r"[\p{Han}（）()]{2,24}?(?:股份有限公司|有限责任公司|有限公司|集团|公司)")
_NAMED_THING = _re(
    r"[\p{Han}]{2,10}?(?:公园|南园|产业园|科技园|园区|幼儿园|小学|中学|学校|医院|大厦|广场|综合体|小镇|基地|中心|城|园)"
    r"(?=[，,。、及和与等(（]|$)")
_ENUM_COUNT = _re(r"(?:两|三|四|五|六|七|八|九|十|\d{1,2})(?:大|个|家|项|类|所|座)")
_ENUM_LIST = _re(r"((?:[\p{Han}A-Za-z]{2,8}、)+[\p{Han}A-Za-z]{2,8}?)(?:两|三|四|五|六|\d{1,2})(?:个|大|家|项|类|所|座)")
_PLACE_END = _re(r"^(\p{Han}{1,8}?(?:县|区|市|镇|乡|省|街道))(.*)$")


def _split_metric(members: list[Figure]) -> bool:
    """``新申请和授权专利980件、640件``: n counts of one noun after n qualifiers joined by 和/、
    each get their own metric (新申请专利, 授权专利)."""
    first = members[0]
    noun, metric = first.counted or "", first.metric_text or ""
    if first.unit != "count" or len(noun) < 2 or not metric.endswith(noun):
        return False
    parts = _re(r"[和、及与]").split(metric[: -len(noun)])
    if len(parts) != len(members) or not all(parts):
        return False
    for f, p in zip(members, parts):
        f.metric_text = p + noun
        f.metric_id = metric_id_of(f.metric_text)
    return True


def _respectively(text: str, figs: list[Figure]) -> None:
    """``装备制造、食品加工两大主导产业分别实现产值86亿元和54亿元``: the n figures of a list
    after 分别 take the n names listed before it, in order, as subjects — or, when the names
    are parts of one indicator (第一产业、第二产业、第三产业增加值分别增长…), as metrics."""
    groups: dict[int, list[Figure]] = {}
    for f in figs:
        if f.group is not None and f.role is None:
            groups.setdefault(f.group, []).append(f)
    done: list[tuple[str, list[Figure]]] = []
    split: list[tuple[str, str, list[Figure]]] = []  # (context, shared metric, members)
    v = _vocab()
    for members in groups.values():
        first = members[0]
        n = len(members)
        shared = first.metric_text
        if all(f.metric_text == shared for f in members) and shared:
            if _split_metric(members):
                split.append((first.context, shared, members))
            else:
                # 同比分别增长21.4%、24.1% after 新申请和授权专利980件、640件: the same order
                for ctx, old, ms in reversed(split):
                    if ctx == first.context and old == shared and len(ms) == n:
                        for f, g in zip(members, ms):
                            f.metric_text, f.metric_id = g.metric_text, g.metric_id
                        break
        k = first.context.find(first.text.replace("\n", "").replace(" ", "")[:2])
        before = first.context[:k] if k > 0 else first.context
        enum = list(_ENUM_LIST.finditer(before))
        if enum and len(enum[-1].group(1).split("、")) == n:
            for f, name in zip(members, enum[-1].group(1).split("、")):
                f.subject = name
            done.append((first.context, members))
            continue
        if "分别" not in before:
            continue
        earlier = [ms for ctx, ms in done if ctx == first.context and len(ms) == n]
        if earlier and "、" not in before[before.rfind("，") + 1:]:
            for f, g in zip(members, earlier[-1]):
                f.subject = g.subject
            continue
        head = before[: before.rfind("分别")]
        head = _re(r"[，,；;：:。]").split(head)[-1]
        parts = head.split("、")
        if len(parts) < n:
            continue
        parts = parts[-n:]
        last = parts[-1]
        rest = ""
        m = _PLACE_END.match(last)
        c = _ENUM_COUNT.search(last)
        if m and len(parts[0]) <= len(m.group(1)) + 1:
            last, rest = m.group(1), m.group(2)
        elif c:
            last, rest = last[: c.start()], last[c.end():]
        elif len(last) > len(parts[0]):
            last, rest = last[: len(parts[0])], last[len(parts[0]):]
        names = [p.strip(_PUNCT) for p in parts[:-1]] + [last.strip(_PUNCT)]
        if not all(1 < len(x) <= 12 for x in names):
            continue
        done.append((first.context, members))
        metric_rest = rest.strip(_PUNCT)
        for verb in v["subject_verbs"]:
            metric_rest = metric_rest.replace(verb, "")
        as_metric = bool(metric_rest) and _catalogue_suffix(names[0] + metric_rest, v) is not None \
            and _SECTOR.match(names[0] + metric_rest) is not None and names[0] in v["not_sectors"]
        for f, name in zip(members, names):
            if as_metric:
                f.metric_text = name + metric_rest
                f.metric_id = metric_id_of(f.metric_text)
            else:
                f.subject = name
