"""Numerals: Arabic and Chinese number words to exact ``Decimal`` values."""
from __future__ import annotations

from decimal import Decimal

CN_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "兩": 2, "三": 3, "叁": 3,
             "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8,
             "九": 9, "玖": 9}
CN_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
CN_BIG = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}


def parse_arabic(s: str) -> Decimal:
    """``'1,234.5'`` -> Decimal('1234.5')."""
    return Decimal(s.replace(",", "").replace("，", ""))


def parse_chinese(s: str) -> Decimal:
    """Parse a Chinese numeral: ``七十五`` 75, ``一万二千`` 12000, ``十`` 10, ``二〇二一`` 2021.

    A string of bare digits (``二〇二一``, ``一二三``) reads digit by digit.
    Raises ValueError for strings that are not numerals.
    """
    if not s:
        raise ValueError("empty numeral")
    if "点" in s:
        whole, frac = s.split("点", 1)
        if not frac or any(c not in CN_DIGITS for c in frac):
            raise ValueError(f"not a Chinese numeral: {s!r}")
        return parse_chinese(whole) + Decimal("0." + "".join(str(CN_DIGITS[c]) for c in frac))
    if all(c in CN_DIGITS for c in s) and len(s) > 1:
        return Decimal("".join(str(CN_DIGITS[c]) for c in s))
    total = 0      # finished sections above 亿/万
    section = 0    # current section below 万
    digit = None   # pending digit
    last_unit = 10_000_000_000
    for c in s:
        if c in CN_DIGITS:
            digit = CN_DIGITS[c] if digit is None or CN_DIGITS[c] else digit
            if CN_DIGITS[c] == 0:
                digit = None
        elif c in CN_SMALL:
            u = CN_SMALL[c]
            section += (1 if digit is None else digit) * u
            digit = None
        elif c in CN_BIG:
            u = CN_BIG[c]
            section += digit or 0
            digit = None
            if section == 0 and total == 0:
                section = 1
            if u > last_unit or total == 0:
                total = (total + section) * u
            else:
                total += section * u
            last_unit = u
            section = 0
        else:
            raise ValueError(f"not a Chinese numeral: {s!r}")
    if digit is not None:
        # 一万二 = 12000, 三百五 = 350: a trailing digit after a unit scales down one step
        tail = digit
        prev = s[-2] if len(s) >= 2 else ""
        if prev in CN_SMALL and CN_SMALL[prev] >= 100:
            tail = digit * CN_SMALL[prev] // 10
        elif prev in CN_BIG:
            tail = digit * CN_BIG[prev] // 10
        section += tail
    return Decimal(total + section)


def multiplier(s: str) -> Decimal:
    """The value of a run of multiplier characters: ``万`` 1e4, ``千万`` 1e7, ``万亿`` 1e12."""
    m = Decimal(1)
    for c in s:
        if c in CN_SMALL:
            m *= CN_SMALL[c]
        elif c in CN_BIG:
            m *= CN_BIG[c]
        else:
            raise ValueError(f"not a multiplier: {s!r}")
    return m
