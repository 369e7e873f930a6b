"""The rules corpus: every row of tests/corpus/*.tsv is one test (see tests/corpus/README.md).

Rows marked ``dev`` were written with the rules; ``heldback`` rows were written from new text
and checked only after; ``xfail`` rows are known failures (strict: a fix shows up as XPASS).
"""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

import tongji

CORPUS = Path(__file__).parent / "corpus"
FIGURE_FILES = ["numbers.tsv", "quantity.tsv", "negatives.tsv"]
MEANING_FILES = ["measure.tsv", "period.tsv", "status.tsv", "subject.tsv", "metric.tsv"]
HOME = "示范区"


def _rows(name: str, width: int):
    path = CORPUS / name
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    assert len(header) == width, (name, header)
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        assert len(cols) == width, f"{name}:{n}: {len(cols)} fields"
        cols[0] = cols[0].replace("\\n", "\n")
        yield f"{name}:{n}", cols


def _params(files, width):
    out = []
    for name in files:
        for rid, cols in _rows(name, width):
            kind = cols[-1].strip()
            marks = [pytest.mark.xfail(strict=True, reason="known failure")] if kind == "xfail" else []
            out.append(pytest.param(*cols[:-1], id=f"{rid}:{kind}", marks=marks))
    return out


def _parse_expected(spec: str):
    spec = spec.strip()
    if spec == "-":
        return []
    out = []
    for item in spec.split(" | "):
        surface, rest = item.split(" => ")
        words = rest.split()
        value, unit = words[0], words[1]
        extra = dict(w.split("=", 1) for w in words[2:])
        out.append((surface.strip(), float(value), unit, extra))
    return out


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


@pytest.mark.parametrize("text,published,expected", _params(FIGURE_FILES, 4))
def test_figures(text, published, expected):
    got = tongji.extract(text, published=dt.date.fromisoformat(published), place=HOME)
    want = _parse_expected(expected)
    got_view = [("".join(f.text.split()), f.value, f.unit, f.approx, f.counted) for f in got]
    assert len(got) == len(want), got_view
    for f, (surface, value, unit, extra) in zip(got, want):
        assert "".join(f.text.split()) == surface, got_view
        assert f.unit == unit, got_view
        assert _close(f.value, value), got_view
        assert (f.approx or None) == (extra.get("approx") or None), got_view
        if "counted" in extra:
            assert f.counted == extra["counted"], got_view


def _find(figs, surface: str):
    n = 1
    if "#" in surface:
        surface, k = surface.rsplit("#", 1)
        n = int(k)
    hits = [f for f in figs if "".join(f.text.split()) == surface]
    assert len(hits) >= n, [("".join(f.text.split())) for f in figs]
    return hits[n - 1]


def _period_label(f) -> str:
    if f.period_start is None and f.period_end is None:
        return "none"
    return f.period or "none"


def _same_period(want: str, f) -> bool:
    from tongji.evaluate import period_bounds

    if want == "none":
        return f.period_start is None and f.period_end is None
    a, b = period_bounds(want)
    return (a, b) == (f.period_start.isoformat() if f.period_start else None,
                      f.period_end.isoformat() if f.period_end else None)


@pytest.mark.parametrize("text,published,figure,expected", _params(MEANING_FILES, 5))
def test_meaning(text, published, figure, expected):
    figs = tongji.extract(text, published=dt.date.fromisoformat(published), place=HOME)
    f = _find(figs, figure)
    view = dict(measure=f.measure, period=_period_label(f), status=f.status, subject=f.subject,
                metric=f.metric_text, value=f.value)
    for word in expected.split():
        field, want = word.split("=", 1)
        if field == "period":
            assert _same_period(want, f), view
        elif field in ("subject", "metric"):
            got = getattr(f, "metric_text" if field == "metric" else "subject") or ""
            assert got and (want in got or got in want), view
        else:
            assert getattr(f, field) == want, view
