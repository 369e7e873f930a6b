"""Patterns run on the standard library's re when it reads them as regex does: the same
matches, whatever the text."""
import datetime as dt
from functools import lru_cache
from pathlib import Path

import regex
from hypothesis import given, settings, strategies as st

import tongji
from tongji.textclean import ON_RE, compiled

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"


@lru_cache(maxsize=1)
def _patterns_in_use() -> dict:
    for page in sorted(RAW.glob("*.txt"))[:2]:  # compiles every pattern the pipeline uses
        tongji.extract(page.read_text(encoding="utf-8"), published=dt.date(2021, 3, 1))
    return dict(ON_RE)


# characters the patterns are about, and some they are not
_CHARS = list("0123456789.-%:：，。；、（）()“”\n 年月日季度亿万千百十一二三两四五六七八九〇零个家项元"
              "增长下降同比全区县市省公司项目企业投资完成计划目标预计达到以上左右余多第前名强") + ["ab", "𠀀", "々"]


def test_most_patterns_run_on_re():
    on_re = _patterns_in_use()
    assert len(on_re) >= 40
    assert any("\\p{Han}" in p for p in on_re)  # \p{Han} is written out for re


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_CHARS), max_size=60).map("".join))
def test_re_and_regex_find_the_same(text):
    for pattern, fast in sorted(_patterns_in_use().items()):
        slow = regex.compile(pattern)
        got = [(m.span(), m.groups()) for m in fast.finditer(text)]
        want = [(m.span(), m.groups()) for m in slow.finditer(text)]
        assert got == want, pattern


def test_han_is_the_same_set():
    fast, slow = compiled(r"\p{Han}+"), regex.compile(r"\p{Han}+")
    sample = "".join(chr(c) for c in range(0x2E00, 0xA000)) + "".join(chr(c) for c in range(0xF900, 0xFB00)) \
        + "".join(chr(c) for c in range(0x20000, 0x20100)) + "".join(chr(c) for c in range(0x30000, 0x30100))
    assert [m.span() for m in fast.finditer(sample)] == [m.span() for m in slow.finditer(sample)]


def test_patterns_re_reads_differently_stay_on_regex():
    for p in (r"\s+", r"\w+", r"\p{Lu}", r"(?<=ab|c)x"):
        assert isinstance(compiled(p), type(regex.compile("x")))


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789.:：,，前强三十百名位居进入全国市比 。、\n是年")), max_size=60))
def test_scans_near_anchors_find_what_a_full_scan_finds(text):
    """top and ratio are looked for only around their anchors (figures._near): the same
    matches as a scan of the whole text."""
    from tongji import figures

    r = figures._rules()
    for pattern, anchors, stretch in (
            (r["top"], figures._top_anchors(text, r["top_anchor"]), r["clause"]),
            (r["ratio"], figures._ratio_anchors(text, r["ratio_anchor"]), r["digit_run"])):
        near = [m.span() for m in figures._near(pattern, text, anchors, stretch)]
        assert near == [m.span() for m in pattern.finditer(text)]
