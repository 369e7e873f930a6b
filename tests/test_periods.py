"""Periods: the check that opens the time pattern."""
import re

from hypothesis import given, settings, strategies as st

from tongji import periods

_WORDS = [w for k in ("halves", "this_year", "last_year", "plans") for w in periods.vocab()["periods"][k]]
# words and characters time expressions are made of, and some they are not
_TOKENS = _WORDS + list("0123456789年月日号季度底末初至到-—~－个份前上下半第今去本当全近过两一二三四五六七八九十"
                        "目现截止以来期间时内阶段同比是较增加，。的在和项目亿元%") + [
    "2021年", "十四五", "截至", "截止", "今年", "去年", "上年", "本年", "当年", "全年", "目前", "当前", "现阶段",
    "过去", "年初以来", "规划期", "”"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), max_size=40).map("".join))
def test_what_may_follow_a_first_character_loses_no_match(text):
    """The pattern's start check asks, after a character that begins words (上, 目, 截 …),
    for a second character of one of them (上半年, 目前, 截至): it finds what a check of
    that first character alone finds."""
    pat = periods._patterns()[0]
    body = pat.pattern[pat.pattern.index("(?P<asof>"):]
    numeral = "[一二三四五六七八九两十]"
    loose = re.compile(rf"(?=\d{{1,4}}+[年月季至到\-—~－]|{numeral}{numeral}{{0,2}}(?:月|季|个月|年|五|至|到|[\-—~－])"
                       rf"|(?!\d|{numeral}).)" + body)
    assert [(m.span(), m.groups()) for m in pat.finditer(text)] \
        == [(m.span(), m.groups()) for m in loose.finditer(text)]
