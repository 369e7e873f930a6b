"""Ingest: bytes on disk to decoded documents with their publication date.

Decoding (``decode``): UTF-8 (with or without BOM), UTF-16 with a BOM, else GB18030 (GBK,
GB2312) or Big5, whichever reads as common hanzi, else the encoding charset-normalizer finds.
An empty, binary or undecodable page is not an exception for the build: ``load`` returns it
with status 'error' and the reason. The publication date comes from a manifest, else a page header
(``2020年12月21日 星期一``), else it is inferred from the dated events and year cues of the
body, else it is unknown.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import regex

from .textclean import clean, codepoints, in_chars

MANIFEST_COLUMNS = ("path", "published", "place", "source")


class InputError(Exception):
    """Bad input that stops the build with exit code 2 (a missing path, a bad manifest)."""


@dataclass
class Document:
    doc_id: str
    path: str
    raw: str = ""
    sha256: str = ""
    encoding: str = ""
    published: dt.date | None = None
    published_source: str = "none"
    place: str | None = None
    source: str | None = None
    status: str = "ok"
    error: str | None = None
    n_bytes: int = 0
    extra: dict = field(default_factory=dict)


class DecodeError(ValueError):
    """The bytes of a page are not text: empty, binary, or in no encoding that fits."""


# Strict candidates after UTF-8, in order of preference on a tie: GB18030 is the superset of
# GB2312 and GBK (mainland pages); Big5 and its extensions cp950 and Big5-HKSCS (Taiwan,
# Hong Kong). Several of them decode the same bytes without error, into different text: the
# text whose characters are the most common hanzi wins.
_CJK_CANDIDATES = ("gb18030", "big5", "cp950", "big5hkscs")
_SAMPLE_CHARS = 200_000      # characters of a decoded text that are scored
_CONTROL_SAMPLE = 20_000     # characters checked for control characters (binary junk)


@lru_cache(maxsize=1)
def _common_hanzi() -> frozenset[str]:
    """The frequent hanzi: level 1 of GB2312 (3755 simplified) and of Big5 (5401 traditional)."""
    out: set[str] = set()
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                out.add(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    for hi in range(0xA4, 0xC7):
        for lo in (*range(0x40, 0x7F), *range(0xA1, 0xFF)):
            try:
                out.add(bytes((hi, lo)).decode("big5"))
            except UnicodeDecodeError:
                pass
    return frozenset(out)


@lru_cache(maxsize=1)
def _plausible_chars() -> str:
    """The common hanzi and CJK, full-width and general punctuation."""
    ranges = ((0x3000, 0x303F), (0xFF00, 0xFFEF), (0x2000, 0x206F))
    return "".join(sorted(set(_common_hanzi()) | {chr(c) for a, b in ranges for c in range(a, b + 1)}))


def _plausibility(text: str) -> float:
    """The share of the non-ASCII characters (U+FFFD aside) that are common hanzi or CJK or
    full-width punctuation, over a sample of the text (1.0 when there are none)."""
    cps = codepoints(text[:_SAMPLE_CHARS])
    cps = cps[(cps >= 0x80) & (cps != 0xFFFD)]
    if not len(cps):
        return 1.0
    return float(in_chars(cps, _plausible_chars()).mean())


_CONTROL_CHARS = "".join(map(chr, (*range(0x00, 0x09), *range(0x0E, 0x20), *range(0x7F, 0xA0), 0xFFFD)))


def _controls(text: str) -> int:
    """Control characters (other than line breaks and tabs) and U+FFFD in the first characters.
    Counted with a table look-up of the code points: a third faster than re's findall."""
    return int(np.count_nonzero(in_chars(codepoints(text[:_CONTROL_SAMPLE]), _CONTROL_CHARS)))


_errors = threading.local()


def _count_and_replace(e: UnicodeDecodeError):
    _errors.n += 1
    return "\ufffd", e.end  # what errors="replace" does


codecs.register_error("tongji-count", _count_and_replace)


def _decode_counting(data: bytes, enc: str) -> tuple[str, int]:
    """data decoded with enc, U+FFFD for each bad byte sequence, and how many there were."""
    _errors.n = 0
    text = data.decode(enc, errors="tongji-count")
    return text, _errors.n


def decode(data: bytes) -> tuple[str, str]:
    """Decode page bytes; returns (text, encoding).

    UTF-8 (with or without BOM), UTF-16 with a BOM, else GB18030 or Big5 (whichever reads as
    common hanzi), else the encoding charset-normalizer finds. A page with a few bad bytes (a
    truncated download) is decoded with U+FFFD for them and its encoding says so:
    ``gb18030 (1 bad byte replaced)``; ``decode_as`` reads it again the same way.
    Raises DecodeError for an empty file, a binary file or bytes that are no text.
    """
    if not data:
        raise DecodeError("empty file (0 bytes)")
    if not data.strip():
        raise DecodeError(f"empty file (only whitespace, {len(data)} bytes)")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return _checked(data[3:].decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError:
            pass
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _checked(data.decode("utf-16"), "utf-16")
        except (UnicodeDecodeError, DecodeError):
            pass
    nul = data.find(b"\x00", 0, 8192)
    if nul >= 0:
        raise DecodeError(f"binary file (NUL byte at offset {nul})")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        first_bad = e.start
    else:
        return _checked(text, "utf-8")

    best: tuple[float, str, str] | None = None     # (score, encoding, text)
    for enc in _CJK_CANDIDATES:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        score = _plausibility(text)
        if best is None or score > best[0]:
            best = (score, enc, text)
    if best is not None and best[0] >= 0.6:
        return _checked(best[2], best[1])

    # a few bad bytes in an otherwise good page: truncated, or one corrupt character
    allowed = min(max(4, len(data) // 1000), max(1, len(data) // 50))
    lossy: list[tuple[int, int, str, str]] = []
    for rank, enc in enumerate(("utf-8",) + _CJK_CANDIDATES[:2]):
        text, n_bad = _decode_counting(data, enc)
        if n_bad <= allowed:
            lossy.append((n_bad, rank, enc, text))
    for n_bad, _, enc, text in sorted(lossy, key=lambda x: x[:2]):
        if _plausibility(text) >= 0.6:
            label = f"{enc} ({n_bad} bad byte{'s' if n_bad != 1 else ''} replaced)"
            return _checked(text, label, replaced=n_bad)

    if best is not None and best[0] >= 0.3:
        return _checked(best[2], best[1])
    from charset_normalizer import from_bytes

    guess = from_bytes(data[:1_000_000]).best()
    enc = guess.encoding if guess is not None else None
    if enc:
        if enc.lower() in ("gb2312", "gbk", "hz"):
            enc = "gb18030"
        try:
            return _checked(data.decode(enc), enc)
        except (UnicodeDecodeError, LookupError):
            pass
    raise DecodeError(f"cannot decode: not UTF-8, GB18030 or Big5 text (first bad byte at offset {first_bad})")


def _checked(text: str, enc: str, replaced: int = 0) -> tuple[str, str]:
    bad = _controls(text) - min(replaced, _CONTROL_SAMPLE)
    sample = len(text[:_CONTROL_SAMPLE])
    if bad > max(10, sample // 50):
        raise DecodeError(f"binary file ({bad} control characters in the first {sample} "
                          f"characters as {enc})")
    return text, enc


def decode_as(data: bytes, encoding: str) -> str:
    """Decode bytes again exactly as ``decode`` did, given the encoding it reported (the
    report reads the raw pages back to place the figures)."""
    enc, _, note = encoding.partition(" (")
    errors = "replace" if note else "strict"
    return data.decode(enc, errors)  # utf-8-sig takes off the BOM when there is one


def read_manifest(path: Path) -> dict[str, dict]:
    """``manifest.csv``: a header naming some of the columns path (required), published
    (YYYY-MM-DD), place and source, then one row per page. UTF-8 (Excel's GBK is read too).
    Raises InputError naming the file and the line of the first problem."""
    path = Path(path)
    data = path.read_bytes()
    try:
        text, _ = decode(data)
    except DecodeError as e:
        if not data.strip():
            raise InputError(f"{path}: line 1: empty manifest; expected a header with the columns "
                             f"{', '.join(MANIFEST_COLUMNS)} ('path' required)") from None
        raise InputError(f"{path}: not a text file: {e}") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise InputError(f"{path}: line 1: empty manifest; expected a header with the columns "
                             f"{', '.join(MANIFEST_COLUMNS)} ('path' required)")
        cols = [c.strip() for c in header]
        unknown = [c for c in cols if c not in MANIFEST_COLUMNS]
        if unknown:
            raise InputError(f"{path}: line {reader.line_num}: unknown column(s) "
                             f"{', '.join(repr(c) for c in unknown)}; expected {', '.join(MANIFEST_COLUMNS)}")
        dup = sorted({c for c in cols if cols.count(c) > 1})
        if dup:
            raise InputError(f"{path}: line {reader.line_num}: column(s) {', '.join(dup)} given twice")
        if "path" not in cols:
            raise InputError(f"{path}: line {reader.line_num}: no 'path' column; expected "
                             f"{', '.join(MANIFEST_COLUMNS)} with 'path' required")
        out: dict[str, dict] = {}
        seen: dict[str, int] = {}
        for values in reader:
            line = reader.line_num
            if not values or not any(v.strip() for v in values):
                continue   # a blank line
            if len(values) > len(cols):
                raise InputError(f"{path}: line {line}: {len(values)} fields, but the header has "
                                 f"{len(cols)} ({', '.join(cols)})")
            row = {c: (values[i].strip() if i < len(values) else "") for i, c in enumerate(cols)}
            p = row["path"]
            if not p:
                raise InputError(f"{path}: line {line}: empty path")
            if p in seen:
                raise InputError(f"{path}: line {line}: path {p!r} already given on line {seen[p]}")
            seen[p] = line
            pub = row.get("published", "")
            date = None
            if pub:
                try:
                    date = dt.date.fromisoformat(pub)
                except ValueError:
                    raise InputError(f"{path}: line {line}: bad date {pub!r} (want YYYY-MM-DD)") from None
            out[p] = {"published": date, "place": row.get("place") or None,
                      "source": row.get("source") or None}
    except csv.Error as e:
        raise InputError(f"{path}: line {reader.line_num}: malformed CSV: {e}") from None
    return out


_HEADER = regex.compile(r"((?:19|20)\d{2})年(\d{1,2})月(\d{1,2})日\s*(?:星期|周)[一二三四五六日天]")
_YEAR = regex.compile(r"(?<![\d.])((?:19|20)\d{2})年(?!代|度?[\d])")
_YEAR_PLAN = regex.compile(r"(?:到|至|—|-|~|迈向|展望)\s*$")
_EVENT = regex.compile(r"(?:((?:19|20)\d{2})年)?(\d{1,2})月(\d{1,2})日")


def infer_date(raw: str) -> tuple[dt.date | None, str]:
    """Publication date from the text alone: (date, 'header' | 'inferred' | 'none')."""
    text = clean(raw).text
    m = _HEADER.search(text[:3000])
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3])), "header"
        except ValueError:
            pass
    years: dict[int, int] = {}
    for m in _YEAR.finditer(text):
        before = text[max(0, m.start() - 3):m.start()]
        after = text[m.end():m.end() + 4]
        if _YEAR_PLAN.search(before) or after.startswith(("远景", "目标", "前", "以后", "年")):
            continue
        y = int(m[1])
        years[y] = years.get(y, 0) + 1
    events: list[dt.date] = []
    base_year = max(years) if years else None
    for m in _EVENT.finditer(text):
        y = int(m[1]) if m[1] else base_year
        if y is None:
            continue
        try:
            events.append(dt.date(y, int(m[2]), int(m[3])))
        except ValueError:
            continue
    if events:
        events.sort()
        # a page reports the days just before it is printed; drop a stray late date
        while len(events) > 1 and (events[-1] - events[-2]).days > 90:
            events.pop()
        return events[-1] + dt.timedelta(days=1), "inferred"
    if base_year is not None:
        return dt.date(base_year, 12, 31), "inferred"
    return None, "none"


def load(path: Path, doc_id: str, meta: dict | None = None) -> Document:
    """Read one page. Never raises for a bad page: it comes back with status='error'."""
    doc = Document(doc_id=doc_id, path=str(path))
    meta = meta or {}
    doc.place = meta.get("place")
    doc.source = meta.get("source")
    try:
        data = path.read_bytes()
    except OSError as e:
        doc.status, doc.error = "error", f"cannot read: {e.strerror or e}"
        return doc
    doc.n_bytes = len(data)
    doc.sha256 = hashlib.sha256(data).hexdigest()
    try:
        doc.raw, doc.encoding = decode(data)
    except (DecodeError, UnicodeDecodeError, LookupError) as e:
        doc.status, doc.error = "error", str(e)
        return doc
    if meta.get("published"):
        doc.published, doc.published_source = meta["published"], "manifest"
    else:
        doc.published, doc.published_source = infer_date(doc.raw)
    return doc
