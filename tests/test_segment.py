"""Segmentation into articles: the lead test's shortcut."""
import re

from tongji import segment


def test_every_lead_alternative_holds_a_lead_word():
    """_is_lead tries _LEAD only on paragraphs holding one of _LEAD_WORDS: each alternative
    of _LEAD must hold one, or a lead would be missed."""
    body = re.search(r"\(\?:(本报讯.*)\)$", segment._LEAD.pattern).group(1)
    alternatives = body.split("|")
    assert len(alternatives) > 3
    for alt in alternatives:
        assert any(w in alt for w in segment._LEAD_WORDS), alt


def test_a_lead_starts_an_article_and_a_paragraph_without_lead_words_is_none():
    assert segment._is_lead("本报讯（记者 张三）全区完成投资12亿元。")
    assert segment._is_lead("■ 新华社北京3月1日电 全国……")
    assert not segment._is_lead("全区完成投资12亿元，同比增长8%。")
    arts = segment.articles("标题一\n本报讯 全区完成投资12亿元。\n标题二\n记者 李四 报道：新增项目5个。")
    assert [a.title for a in arts] == ["标题一", "标题二"]
