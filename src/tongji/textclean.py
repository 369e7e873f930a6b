"""Offset-preserving clean text: the view every extractor reads.

``clean(raw)`` folds full-width and compatibility forms (NFKC, one character for one),
joins lines broken inside a paragraph, drops spaces inside numbers and between CJK
characters, and keeps a blank line as one ``\\n`` paragraph break. ``Clean.to_raw`` maps any
clean index back to the raw text, so ``raw[start:end]`` is always the figure as printed.
"""
from __future__ import annotations

import re
import unicodedata
import warnings
from importlib import resources
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import regex


# numbered headings of reports and communiqués: 二、农业, （三）工业, 第四部分
_HEADING = r"(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[）)]|第[一二三四五六七八九十]{1,3}[部章节])"
_HEADING_AHEAD = regex.compile(_HEADING + r"[^\n，。；]{1,14}(?:\n|$)")
_HEADING_LINE = regex.compile(_HEADING + r"[^\n，。；]{1,14}")

# a paragraph never starts with these: a blank line before them is a column break
_NO_START = set("，。、；：？！,.;:?!%）)”’") | set("个亿万元")

# a paragraph that is long (not a headline) and stops without one of these goes on after
# the blank line: a column break in the middle of a sentence
_PARA_END = set("。！？!?：:”」』）)…—") 

# extra one-for-one folds beyond NFKC
_EXTRA = {"∶": ":", "︰": ":", "．": ".", "｡": "。", "〜": "~", "～": "~", "－": "-",
          "　": " ", "\u00a0": " ", "\u200b": " ", "\ufeff": " "}


# syntax that only the regex module reads (or reads differently from re): Unicode
# properties other than \p{Han}, POSIX classes, set operations, and \s \w \b, whose
# character sets differ between the two
_REGEX_ONLY = ("\\P{", "[[:", "--", "&&", "||", "~~", "(?V", "(?r", "(?|", "(?(DEFINE)",
               "\\X", "\\m", "\\M", "\\K", "\\G", "(?&", "(?R", "(?P>", "\\L<",
               "\\s", "\\S", "\\w", "\\W", "\\b", "\\B")


def _class_runs(char_class: str) -> list[tuple[int, int]]:
    """The code point ranges [start, end) that a regex character class (``\\p{Han}``,
    ``\\s``) matches, read off the regex module's own Unicode tables."""
    cps = np.arange(0x110000, dtype=np.uint32)
    cps[0xD800:0xE000] = 0x20  # no surrogates in a str
    every = from_codepoints(cps)
    return [m.span() for m in regex.finditer(char_class + "+", every)]


@lru_cache(maxsize=1)
def _han_runs() -> tuple[tuple[int, int], ...]:
    return tuple(_class_runs(r"\p{Han}"))


@lru_cache(maxsize=1)
def _han_ranges() -> str:
    """regex's \\p{Han} as the inside of a character class for re (the same characters)."""
    return "".join(f"\\U{a:08x}-\\U{b - 1:08x}" for a, b in _han_runs())


def _for_re(pattern: str) -> str | None:
    """pattern in re's syntax: \\p{Han} written out as code point ranges; None when it uses
    another Unicode property."""
    out: list[str] = []
    i, n, in_class = 0, len(pattern), False
    while i < n:
        c = pattern[i]
        if c == "\\":
            if pattern.startswith("\\p{Han}", i):
                out.append(_han_ranges() if in_class else "[" + _han_ranges() + "]")
                i += 7
                continue
            if pattern.startswith("\\p", i):
                return None
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
            out.append(c)
            i += 1
            if pattern.startswith("^", i):
                out.append("^")
                i += 1
            if pattern.startswith("]", i):  # a ] first in a class is a character
                out.append("]")
                i += 1
            continue
        if c == "]" and in_class:
            in_class = False
        out.append(c)
        i += 1
    return "".join(out)


ON_RE: dict[str, re.Pattern] = {}  # the patterns given to re (tests compare them with regex)


@lru_cache(maxsize=1024)
def compiled(pattern: str):
    """A compiled pattern, cached: patterns are compiled once per process. The standard
    library's ``re`` runs a short search two to three times faster than ``regex``; it gets
    every pattern it reads the same way (\\p{Han} written out), the rest (other Unicode
    properties, variable-width look-behind, \\s and \\w) go to ``regex``."""
    if not any(t in pattern for t in _REGEX_ONLY):
        translated = _for_re(pattern)
        if translated is not None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    fast = re.compile(translated)
                ON_RE[pattern] = fast
                return fast
            except (re.error, Warning):
                pass
    return regex.compile(pattern)


@lru_cache(maxsize=1)
def fold_table() -> dict[int, str]:
    """A str.translate table mapping each BMP character whose NFKC form is a single other
    character to that character (full-width digits, letters, punctuation, ％, ＝ …), and the
    traditional characters of ``data/traditional.txt`` to simplified ones."""
    table: dict[int, str] = {}
    for cp in range(0x80, 0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        n = unicodedata.normalize("NFKC", ch)
        if n != ch and len(n) == 1:
            table[cp] = n
    for k, v in _EXTRA.items():
        table[ord(k)] = v
    for line in resources.files("tongji").joinpath("data/traditional.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2 and not line.startswith("#") and len(parts[0]) == len(parts[1]) == 1:
            table[ord(parts[0])] = parts[1]
    # keep CJK punctuation that carries clause structure
    for keep in "，。；：？！（）":
        table.pop(ord(keep), None)
    return table


@lru_cache(maxsize=1)
def _luts() -> tuple[np.ndarray, np.ndarray]:
    """fold_table as an array over the BMP (code point -> folded code point), and which BMP
    code points fold to whitespace (``\\s``): folding and blanking a page are two array
    look-ups of its code points."""
    fold = np.arange(0x10000, dtype=np.uint32)
    for cp, ch in fold_table().items():
        fold[cp] = ord(ch)
    space = np.zeros(0x10000, dtype=bool)
    for a, b in _class_runs(r"\s"):
        space[a:b] = True
    # a BMP character may fold to one beyond it (a compatibility ideograph): no whitespace
    return fold, space[np.minimum(fold, 0xFFFF)]


@lru_cache(maxsize=1)
def _han_bounds() -> np.ndarray:
    return np.array([x for run in _han_runs() for x in run], dtype=np.uint32)


def is_han(cps: np.ndarray) -> np.ndarray:
    """Which of the code points cps are Han characters (regex's \\p{Han})."""
    return (np.searchsorted(_han_bounds(), cps, side="right") & 1).astype(bool)


def codepoints(s: str) -> np.ndarray:
    return np.frombuffer(s.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def from_codepoints(a: np.ndarray) -> str:
    return a.tobytes().decode("utf-32-le", "surrogatepass")


_HEADING_FIRST = "一二三四五六七八九十（(第"  # what a numbered heading starts with
_HEADING_SECOND = "一二三四五六七八九十、"  # and its second character


_WORDY = "".join(chr(c) for c in range(128) if chr(c).isalnum())  # ASCII letters and digits


@lru_cache(maxsize=64)
def char_table(chars: str) -> np.ndarray:
    """A boolean table over code points up to the largest of chars, and one more entry that
    stands for every code point above: which are in chars. Look up with
    ``table.take(cps, mode="clip")``. Cached: the table is not to be written to."""
    table = np.zeros(max(map(ord, chars)) + 2, dtype=bool)
    table[[ord(c) for c in chars]] = True
    return table


def in_chars(cps: np.ndarray, chars: str) -> np.ndarray:
    """Which of the code points cps are in chars."""
    return char_table(chars).take(cps, mode="clip")  # a third of the time of np.minimum and []


def _runs_to_decide(cps: np.ndarray, space: np.ndarray) -> list[tuple[int, int, int]]:
    """The whitespace runs of a page that clean() must look at, as (start, end, line breaks
    in the run): those inside the page that may break a paragraph (two line breaks), end a
    heading line or start one, or stand between two ASCII letters or digits. Every other run
    (a line break inside a sentence, a space between CJK characters) is simply dropped."""
    n = len(cps)
    if n < 3:
        return []
    # runs start and end in turn: space[e] != space[e + 1] at every edge e
    edges = np.flatnonzero(space[1:] ^ space[:-1]) + 1
    if space[0]:
        edges = edges[1:]  # the run at the start of the page is dropped
    starts, ends = edges[0::2], edges[1::2]
    starts = starts[: len(ends)]  # a run at the end of the page too
    if not len(starts):
        return []
    newlines = np.flatnonzero(cps == 10)
    first_nl = np.searchsorted(newlines, starts)  # the first line break at or after the run's start
    n_nl = np.searchsorted(newlines, ends) - first_nl  # line breaks in the run
    # where the line that ends at the run starts (after the last line break before it)
    line_start = np.concatenate(([-1], newlines))[first_nl] + 1

    def may_head(at: np.ndarray) -> np.ndarray:
        """Can a numbered heading start at these offsets? (its first two characters)"""
        second = cps.take(at + 1, mode="clip")
        return in_chars(cps[at], _HEADING_FIRST) & in_chars(second, _HEADING_SECOND)

    # only the characters around the runs are looked up, not the whole page
    decide = (n_nl >= 2) \
        | ((n_nl > 0) & (may_head(ends) | may_head(line_start))) \
        | (in_chars(cps[starts - 1], _WORDY) & in_chars(cps[ends], _WORDY))
    return list(zip(starts[decide].tolist(), ends[decide].tolist(), n_nl[decide].tolist()))


def _is_wordy(ch: str) -> bool:
    """ASCII letters and digits: a space between two of them separates words."""
    return ch.isascii() and ch.isalnum()


def _heading_before(t: str, a: int) -> bool:
    """Is the line that ends at a a numbered heading (二、农业)? Headings are short lines."""
    start = t.rfind("\n", max(0, a - 24), a) + 1
    if start == 0 and a > 24 or t[start] not in _HEADING_FIRST:
        return False
    return _HEADING_LINE.fullmatch(t, start, a) is not None


def _letter_spaced(t: str, a: int, b: int) -> bool:
    """True when the characters around a one-space gap are spaced one by one
    (``投 资 5 6 . 8 亿``), so the gap is inside a number, not between two numbers."""
    return b - a == 1 and (a >= 2 and t[a - 2] == " ") and (b + 1 < len(t) and t[b + 1] == " ")


@dataclass(frozen=True)
class Clean:
    raw: str
    text: str
    index: np.ndarray  # int64, len(text): raw index of each clean character
    cps: np.ndarray  # uint32, len(text): the code points of text (what codepoints(text) gives)

    def to_raw(self, start: int, end: int) -> tuple[int, int]:
        """Clean span [start, end) -> raw span, end exclusive."""
        if end <= start:
            s = int(self.index[start]) if start < len(self.index) else len(self.raw)
            return s, s
        return int(self.index[start]), int(self.index[end - 1]) + 1

    def to_raw_many(self, starts: list[int], ends: list[int]) -> tuple[list[int], list[int]]:
        """``to_raw`` of many spans at once."""
        s, e = np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)
        if not (e > s).all():
            pairs = [self.to_raw(a, b) for a, b in zip(starts, ends)]
            return [a for a, _ in pairs], [b for _, b in pairs]
        return self.index[s].tolist(), (self.index[e - 1] + 1).tolist()


@lru_cache(maxsize=4)
def clean(raw: str) -> Clean:
    """The clean view of raw (cached: date inference and extraction share one per page)."""
    return _clean(raw)


def _clean(raw: str) -> Clean:
    fold, space = _luts()
    cps = codepoints(raw)
    if len(cps) and cps.max() > 0xFFFF:  # rare: characters beyond the BMP stay as they are
        bmp = cps < 0x10000
        clipped = np.minimum(cps, 0xFFFF)
        blank = bmp & space[clipped]
        cps = np.where(bmp, fold[clipped], cps)
    else:
        at = cps.astype(np.intp)  # take() would cast the indices once for each table
        blank = space.take(at)
        cps = fold.take(at)
    folded = from_codepoints(cps)
    n = len(folded)
    newline_at: list[int] = []  # runs that become a paragraph break
    space_at: list[int] = []  # and a space between words
    para_start = 0
    for a, b, breaks in _runs_to_decide(cps, blank):
        if breaks >= 2:  # a blank line
            left = folded[a - 1]
            body = folded[para_start:a]
            column_break = left.isdigit() or folded[b] in _NO_START or (
                left not in _PARA_END and ("，" in body or "。" in body or "," in body))
            if not column_break:
                newline_at.append(a)
                para_start = b
            continue
        if breaks and (folded[b] in _HEADING_FIRST and _HEADING_AHEAD.match(folded, b)
                             or _heading_before(folded, a)):
            newline_at.append(a)  # a numbered heading (二、农业) is a paragraph of its own
            para_start = b
            continue
        left, right = folded[a - 1], folded[b]
        if _is_wordy(left) and _is_wordy(right):
            if breaks and left.isdigit() and right.isdigit():
                continue  # a number broken at a line end
            if left.isdigit() and right.isdigit() and _letter_spaced(folded, a, b):
                continue  # 5 6 . 8 亿 元: a letter-spaced line
            space_at.append(a)
    cps[newline_at] = 10
    cps[space_at] = 32
    keep = ~blank
    keep[newline_at] = True
    keep[space_at] = True
    index = np.flatnonzero(keep)
    if index.size != n:
        cps = cps[index]
    return Clean(raw, from_codepoints(cps), index.astype(np.int64, copy=False), cps)
