"""Meaning: metric, subject, measure, period and status of each figure.

Everything is read from the words around a figure in the clean text: its *lead-in* (the
words from the start of its clause, or from the figure before it in the clause, up to the
number) and its sentence. Vocabulary lives in ``data/meaning.yaml``; the metric catalogue in
``schemas/metrics.yaml``.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from functools import lru_cache
from importlib import resources

import regex
import yaml

from .figures import Figure
from .periods import Period, as_stock, scan, vocab, year_period
from .segment import Article

_SENT_END = "。！？!?\n"
_CLAUSE_END = "，,；;：:。！？!?\n"
_TIME_RE = regex.compile(
    r"(?:(?:19|20)\d{2}年(?:底|末|初)?)?(?:\d{1,2}(?:月份?)?(?:至|到|-|—|~)\d{1,2}月份?|\d{1,2}月份?(?:\d{1,2}[日号])?(?:底|末)?)"
    r"|(?:19|20)\d{2}年(?:底|末|初)?|上半年|下半年|前三季度|[一二三四]季度|今年以来|年初以来|今年|去年|上年|全年|年内|当年|目前"
    r"|截至|截止|[上下]午|当日|当天")
_PUNCT = "“”‘’\"'「」《》()（）[]【】·—-、 "


@lru_cache(maxsize=1)
def _vocab():
    v = vocab()
    srt = lambda xs: tuple(sorted(xs, key=len, reverse=True))  # noqa: E731
    return {
        "growth": srt(v["growth_words"]), "decline": srt(v["decline_words"]),
        "change": srt(v["change_words"]), "share": srt(v["share_words"]),
        "contrib": srt(v["contribution_words"]), "stock": srt(v["stock_words"]),
        "plan": srt(v["status"]["plan"]), "expected": srt(v["status"]["expected"]),
        "actual": srt(v["status"]["actual"]), "heads": srt(v["metric_heads"]),
        "subject_verbs": srt(v["subject_verbs"]), "strip_lead": srt(v["strip_lead"]),
        "strip_tail": srt(v["strip_tail"]), "home": srt(v["home_words"]),
        "city": srt(v["city_words"]), "province": srt(v["province_words"]),
    }


@lru_cache(maxsize=1)
def catalogue() -> tuple[dict[str, str], tuple[str, ...]]:
    """alias -> metric id, and aliases longest first (from schemas/metrics.yaml)."""
    try:
        text = resources.files("tongji").joinpath("schemas/metrics.yaml").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return {}, ()
    doc = yaml.safe_load(text) or {}
    alias: dict[str, str] = {}
    for m in doc.get("metrics", []):
        for a in [m.get("name"), *(m.get("aliases") or [])]:
            if a:
                alias.setdefault(str(a), m["id"])
    return alias, tuple(sorted(alias, key=len, reverse=True))


def metric_id_of(text: str | None) -> str | None:
    if not text:
        return None
    alias, ordered = catalogue()
    if text in alias:
        return alias[text]
    for a in ordered:
        if len(a) >= 2 and text.endswith(a):
            return alias[a]
    return None


# ---------------------------------------------------------------- places

_PLACE_RE = regex.compile(r"(?:示范区|高新区|开发区|新区|产业集聚区|经开区)|\p{Han}{2,3}(?:区|县|市|镇|乡|省)")
_GENERIC = {"全区", "该区", "本区", "我区", "辖区", "园区", "城区", "社区", "小区", "景区", "片区", "全县",
            "全市", "我市", "本市", "全省", "我省", "新城区", "主城区", "中心城区", "市区", "校区", "库区", "矿区",
            "功能区", "集聚区", "试验区", "保护区", "先行区"}


def home_places(text: str, place: str | None) -> dict[str, str]:
    """The page's home place, city and province: from ``place`` or the most named ones."""
    counts: Counter = Counter()
    for m in _PLACE_RE.finditer(text):
        w = m.group()
        if w in _GENERIC or w.endswith(("社区", "小区", "园区", "景区")):
            continue
        counts[w] += 1
    def most(suffixes):
        c = [(n, w) for w, n in counts.items() if w.endswith(suffixes)]
        return max(c)[1] if c else None
    home = place or most(("示范区", "高新区", "开发区", "新区", "区", "县")) or "全区"
    city = most(("市",)) or "全市"
    if place and place.endswith("市"):
        city = place
    province = most(("省",)) or "全省"
    return {"home": home, "city": city, "province": province}


# ---------------------------------------------------------------- helpers

def _strip(phrase: str) -> str:
    v = _vocab()
    p = _TIME_RE.sub("", phrase).strip(_PUNCT)
    changed = True
    while changed and p:
        changed = False
        for w in v["strip_lead"]:
            if p.startswith(w) and len(p) > len(w):
                # keep words the metric needs: 完成投资, 实现增加值 stay whole
                p = p[len(w):].lstrip(_PUNCT)
                changed = True
                break
        for w in v["strip_tail"]:
            if p.endswith(w) and len(p) > len(w):
                p = p[: -len(w)].rstrip(_PUNCT)
                changed = True
                break
    for w in v["home"] + v["city"] + v["province"]:
        if p.startswith(w) and len(p) > len(w):
            p = p[len(w):]
            break
    return p.strip(_PUNCT)


def _ends_with_any(s: str, words) -> str | None:
    for w in words:
        if s.endswith(w):
            return w
    return None


def _has_any(s: str, words) -> str | None:
    for w in words:
        if w in s:
            return w
    return None


def _boundary_before(text: str, pos: int, stops: str, limit: int = 80) -> int:
    lo = max(0, pos - limit)
    for i in range(pos - 1, lo - 1, -1):
        if text[i] in stops:
            return i + 1
    return lo


# ---------------------------------------------------------------- main

def interpret(text: str, arts: list[Article], figs: list[Figure], published: dt.date | None = None,
              place: str | None = None) -> list[Figure]:
    """Fill the meaning fields of figs (clean offsets) in place."""
    if not figs:
        return figs
    v = _vocab()
    places = home_places(text, place)
    art_of = _article_index(arts, figs)
    by_art: dict[int, list[Figure]] = {}
    for f, ai in zip(figs, art_of):
        f.article = ai
        by_art.setdefault(ai, []).append(f)
    carry_year: int | None = None
    for ai, afigs in by_art.items():
        art = arts[ai]
        periods = scan(text, art.start, art.end, published, context_year=carry_year)
        first_event = next((p for p in periods if p.event), None)
        prev: Figure | None = None
        prev_sent = (-1, -1)
        prev_status = "actual"
        for f in afigs:
            s0 = _boundary_before(text, f.start, _SENT_END, 200)
            s1 = f.end
            while s1 < len(text) and text[s1] not in _SENT_END:
                s1 += 1
            f.context = text[s0:min(s1 + 1, len(text))].strip()
            same_sentence = prev is not None and prev_sent == (s0, s1)
            c0 = _boundary_before(text, f.start, _CLAUSE_END, 60)
            lead_from = max(c0, prev.end) if (prev is not None and prev.end > c0 and same_sentence) else c0
            lead = text[lead_from:f.start]
            sentence_before = text[s0:f.start]
            _measure(f, lead, v)
            _metric_subject(f, lead, text, c0, prev if same_sentence else None, places, v, afigs)
            _period(f, periods, first_event, published, lead, sentence_before)
            _status(f, sentence_before, lead, published, v,
                    prev_status if sentence_before.lstrip().startswith(("其中", "包括")) else None)
            prev, prev_sent, prev_status = f, (s0, s1), f.status
        years = [p.start.year for p in periods if p.start and not p.stock and p.label[:4].isdigit()
                 and len(p.label) == 4]
        if years:
            carry_year = years[-1]
    _respectively(text, figs)
    return figs


def _article_index(arts: list[Article], figs: list[Figure]) -> list[int]:
    out = []
    j = 0
    for f in figs:
        while j + 1 < len(arts) and arts[j].end <= f.start:
            j += 1
        out.append(j)
    return out


def _measure(f: Figure, lead: str, v) -> None:
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
    tail = lead[-12:]
    if unit == "percentage_point":
        f.measure = "level" if _has_any(lead, v["contrib"]) else "pp_change"
        if _ends_with_any(lead.rstrip("了"), v["decline"]) or regex.search(r"(?:下降|回落|降低|低|减少)了?$", lead):
            _negate(f)
        return
    if unit in ("percent", "permille"):
        core = tail.rstrip("了为达到是约近")
        if regex.search(r"率(?:为|达到?|是)?$", lead) and not _ends_with_any(core, ("增长率",)):
            f.measure = "rate"
        elif _has_any(lead, v["share"]):
            f.measure = "share"
        elif _ends_with_any(core, v["growth"]) or regex.search(r"(?:增长|增速|增幅|下降|同比)\w{0,3}$", core):
            f.measure = "growth"
            if regex.search(r"(?:下降|减少|下跌|回落|下滑|降低)[了为]?$", lead):
                _negate(f)
        elif "完成" in lead and ("计划" in lead or "任务" in lead or "目标" in lead):
            f.measure = "rate"
        else:
            f.measure = "level" if not regex.search(r"增长|增速|增幅|下降", lead[-6:]) else "growth"
        return
    w = _ends_with_any(regex.sub(r"[^\p{Han}]+$", "", _TIME_RE.sub("", lead))[-8:], v["change"]) if lead else None
    changes = list(regex.finditer(r"(?:新增|净增|增加|减少|新落地|调增)", lead))
    change_in_lead = changes[-1] if changes else None
    if change_in_lead and not regex.search(r"(?:总数|总量|累计|达到|共有)", lead[change_in_lead.end():]):
        f.measure = "change"
        if change_in_lead.group() == "减少":
            _negate(f)
    elif w:
        f.measure = "change"
        if w in ("减少", "减"):
            _negate(f)
    else:
        f.measure = "level"


def _negate(f: Figure) -> None:
    if f.value > 0:
        f.value = -f.value
        f.decimal = -f.decimal


def _metric_subject(f: Figure, lead: str, text: str, clause_start: int, prev: Figure | None,
                    places: dict, v, afigs: list[Figure]) -> None:
    home = places["home"]
    subject = home
    scope = text[clause_start:f.start]
    if _has_any(scope, v["city"]):
        subject = places["city"]
    elif _has_any(scope, v["province"]):
        subject = places["province"]
    phrase = lead
    # growth words and comparisons are not part of the metric
    phrase = regex.sub(r"(?:比上年同期|比去年同期|比上年|比去年|较上年|较去年|同比|环比)", "", phrase)
    phrase = regex.sub(r"(?:增长|增速|增幅|下降|提高|提升|上涨|下滑|回落|降低|减少)(?:了|为|达)?$", "", phrase)
    phrase = regex.sub(r"(?:新增|净增|增加)$", "", phrase)
    metric = _strip(phrase)
    if f.unit == "count" and f.counted and f.counted != f.raw_unit and text.startswith(f.counted, _after_unit(text, f)):
        # 此次集中开工的27个项目 -> 集中开工项目
        base = regex.sub(r"的$", "", metric)
        metric = (base + f.counted) if base and len(base) <= 8 else f.counted
    # subject from the lead-in: 重点项目完成投资, 蒙牛获得奖励资金
    head = _ends_with_any(metric, v["heads"])
    if head and len(metric) > len(head) and f.unit != "count":
        front = metric[: -len(head)]
        verb = _ends_with_any(front, v["subject_verbs"])
        if verb:
            front = front[: -len(verb)]
        front = front.rstrip("的").strip(_PUNCT)
        if front and not _has_any(front, v["home"] + v["city"] + v["province"]) and len(front) <= 16:
            subject = front
            metric = (verb + head) if verb in ("完成",) else head
    elif f.unit != "count":
        verb = None
        for vb in v["subject_verbs"]:
            k = metric.find(vb)
            if 0 < k and len(metric) - k - len(vb) >= 2:
                verb = vb
                front, rest = metric[:k], metric[k + len(vb):]
                if not _has_any(front, v["home"] + v["city"] + v["province"]) and len(front) <= 12:
                    subject, metric = front.rstrip("的"), rest
                break
    if not metric or f.measure in ("growth", "share", "pp_change") and prev is not None and len(metric) < 2:
        if prev is not None and prev.metric_text:
            if f.measure in ("share",):
                metric = prev.metric_text + (metric or "")
            else:
                metric = prev.metric_text
            if subject == home and prev.subject:
                subject = prev.subject
    elif f.measure == "share" and prev is not None and prev.metric_text and lead.lstrip().startswith("占"):
        metric = prev.metric_text + metric
        if prev.subject:
            subject = prev.subject
    if f.measure == "growth" and prev is not None and prev.metric_text and metric == prev.metric_text:
        subject = prev.subject or subject
    # a money amount of a project group counted just before: 重点项目282个, 总投资1098亿元
    if f.unit not in ("count",) and subject == home and prev is not None and prev.unit == "count" \
            and prev.counted and regex.search(r"项目|企业|工程", prev.counted or "") and head:
        subject = prev.metric_text or prev.counted
    f.metric_text = metric or None
    f.metric_id = metric_id_of(metric)
    f.subject = subject


def _after_unit(text: str, f: Figure) -> int:
    k = text.find(f.raw_unit[-1:], f.start)
    return k + 1 if k >= 0 else f.end


def _period(f: Figure, periods: list[Period], first_event: Period | None, published: dt.date | None,
            lead: str, sentence_before: str) -> None:
    cur = None
    for p in periods:
        if p.pos <= f.start:
            cur = p
        else:
            break
    if cur is None:
        cur = first_event or (year_period(published.year) if published else None)
    if cur is None:
        return
    if not cur.stock and regex.search(r"总数达|总数|累计达|累计|总量达|余额|保有量|共有", lead):
        cur = as_stock(cur)
    f.period, f.period_start, f.period_end = cur.label, cur.start, cur.end


def _status(f: Figure, sentence_before: str, lead: str, published: dt.date | None, v,
            inherited: str | None) -> None:
    s = sentence_before
    status = inherited or "actual"
    if _has_any(lead, v["actual"]):
        f.status = "actual"
        return
    if _has_any(s, v["expected"]) and not _has_any(s, ("预期目标",)):
        status = "expected"
    if _has_any(s, v["plan"]):
        # the cue must be a word before the figure, not 计划的 in 完成计划的107%
        k = max(s.rfind(w) for w in v["plan"] if w in s)
        if not s.startswith("的", k + 1) and status != "expected":
            status = "plan"
    if f.period_start and published and f.period_start > published and status == "actual":
        status = "plan"
    if f.period and f.period.startswith("..") and f.period_end and published and f.period_end > published \
            and status == "actual" and "到" in s:
        status = "plan"
    f.status = status


def _respectively(text: str, figs: list[Figure]) -> None:
    """蒙牛、明仁两个重点产业集群…产值131亿元和27亿元: each figure of a list its own subject."""
    groups: dict[int, list[Figure]] = {}
    for f in figs:
        if f.group is not None and f.role is None:
            groups.setdefault(f.group, []).append(f)
    for members in groups.values():
        first = members[0]
        sent = first.context
        m = regex.search(r"((?:[\p{Han}A-Za-z]{2,8}[、和与及]){1,5}[\p{Han}A-Za-z]{2,8})(?:两|三|四|五|\d)(?:个|家|项)", sent)
        if not m:
            continue
        names = regex.split(r"[、和与及]", m.group(1))
        if len(names) == len(members):
            for f, name in zip(members, names):
                f.subject = name
