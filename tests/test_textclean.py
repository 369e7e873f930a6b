"""The clean view and its map back to the raw text."""
from hypothesis import given, settings, strategies as st

from tongji.textclean import clean


def test_spaces_inside_numbers_and_cjk_are_dropped():
    assert clean("实 现 税 收 3.1 亿 元").text == "实现税收3.1亿元"
    assert clean("2 月 11 日").text == "2月11日"


def test_full_width_forms_fold():
    assert clean("增长１２．５％，比为4.9∶45.9").text == "增长12.5%，比为4.9:45.9"


def test_line_breaks_inside_a_paragraph_join_and_blank_lines_stay():
    c = clean("全区生产总值\n124.3\n亿元。\n\n下一段")
    assert c.text == "全区生产总值124.3亿元。\n下一段"


def test_map_points_each_clean_char_to_its_raw_char():
    raw = "全 区 生 产\n总值 124.3 亿元"
    c = clean(raw)
    for i, ch in enumerate(c.text):
        assert raw[int(c.index[i])] == ch


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("一二三亿元万 \n\u3000１２3.,，%％∶:“”ab")) | st.characters(), max_size=200))
def test_map_is_monotonic_and_in_range(raw):
    c = clean(raw)
    assert len(c.index) == len(c.text)
    prev = -1
    for i in c.index.tolist():
        assert 0 <= i < len(raw)
        assert i > prev
        prev = i


def test_a_numbered_heading_stays_a_paragraph():
    c = clean("增长6.4%。\n三、工业和建筑业\n全年全部工业增加值112.4亿元")
    assert c.text == "增长6.4%。\n三、工业和建筑业\n全年全部工业增加值112.4亿元"
    assert clean("全年粮食\n总产量81.6万吨").text == "全年粮食总产量81.6万吨"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("一二亿元 \n\u3000１2.，%ab")), min_size=1, max_size=80), st.data())
def test_many_spans_map_like_one_at_a_time(raw, data):
    c = clean(raw)
    n = len(c.text)
    spans = data.draw(st.lists(st.tuples(st.integers(0, n), st.integers(0, n)), max_size=8))
    spans = [(a, b) for a, b in spans if a < n]
    starts, ends = c.to_raw_many([a for a, _ in spans], [b for _, b in spans])
    assert list(zip(starts, ends)) == [c.to_raw(a, b) for a, b in spans]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("区县市一〇〆々ab1，。\u3400\u9fff\ua000")) | st.characters(), max_size=60))
def test_is_han_agrees_with_the_han_property(s):
    import regex

    from tongji.textclean import codepoints, is_han

    assert is_han(codepoints(s)).tolist() == [bool(regex.match(r"\p{Han}", c)) for c in s]
