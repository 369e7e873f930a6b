"""Ingest: bytes on disk to decoded documents with their publication date.

Decoding: UTF-8 (with or without BOM), else the encoding charset-normalizer finds
(GB18030/GBK/Big5 …). The publication date comes from a manifest, else a page header
(``2020年12月21日 星期一``), else it is inferred from the dated events and year cues of the
body, else it is unknown.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import regex

from .textclean import clean

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
    pass


def decode(data: bytes) -> tuple[str, str]:
    """Decode page bytes; returns (text, encoding). Raises DecodeError for binary or empty input."""
    if not data.strip():
        raise DecodeError("empty file")
    if b"\x00" in data[:4096]:
        raise DecodeError("binary file (NUL bytes)")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise DecodeError("cannot decode: not UTF-8 and no known encoding fits")
    enc = best.encoding
    # prefer the superset: GB2312/GBK text decodes the same with GB18030
    if enc.lower() in ("gb2312", "gbk", "hz"):
        enc = "gb18030"
    text = data.decode(enc)
    bad = sum(1 for c in text[:20000] if (ord(c) < 32 and c not in "\r\n\t\f") or c == "\ufffd")
    if bad > max(10, len(text[:20000]) // 50):
        raise DecodeError(f"binary or undecodable content (guessed {enc})")
    return text, enc


def read_manifest(path: Path) -> dict[str, dict]:
    """``manifest.csv``: columns path, published (YYYY-MM-DD), optional place, source."""
    out: dict[str, dict] = {}
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        cols = reader.fieldnames or []
        unknown = [c for c in cols if c not in MANIFEST_COLUMNS]
        if unknown or "path" not in cols:
            raise InputError(f"{path}: line 1: unknown column(s) {', '.join(unknown) or '(none)'}; "
                             f"expected {', '.join(MANIFEST_COLUMNS)} with 'path' required")
        for i, row in enumerate(reader, start=2):
            p = (row.get("path") or "").strip()
            if not p:
                raise InputError(f"{path}: line {i}: empty path")
            pub = (row.get("published") or "").strip()
            date = None
            if pub:
                try:
                    date = dt.date.fromisoformat(pub)
                except ValueError:
                    raise InputError(f"{path}: line {i}: bad date {pub!r} (want YYYY-MM-DD)") from None
            out[p] = {"published": date, "place": (row.get("place") or "").strip() or None,
                      "source": (row.get("source") or "").strip() or None}
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
