"""``tongji eval``: score figures against gold annotations in the GUIDE's JSONL format.

A prediction matches a gold figure when it is on the same page, the spans overlap and the
values agree within 0.5 % in a common base unit. Gold figures with ``core: false`` are
"don't care". Reports precision, recall and F1 of core figures, value exactness, the
accuracy of each meaning field over matched figures, and lists misses and false alarms.
"""
from __future__ import annotations

import json
import sys
from collections import defaultdict
from fractions import Fraction
from pathlib import Path

from .periods import month_end

# unit code -> (dimension, exact factor to the dimension's base)
BASE = {
    "CNY": ("CNY", 1), "USD": ("USD", 1), "EUR": ("EUR", 1), "HKD": ("HKD", 1),
    "percent": ("percent", 1), "permille": ("percent", Fraction(1, 10)), "percentage_point": ("pp", 1),
    "count": ("count", 1), "ratio": ("ratio", 1), "rank": ("rank", 1), "times": ("times", 1),
    "m2": ("area", 1), "mu": ("area", Fraction(2000, 3)), "hectare": ("area", 10000), "km2": ("area", 10**6),
    "m": ("length", 1), "km": ("length", 1000), "kg": ("mass", 1), "tonne": ("mass", 1000),
    "m3": ("volume", 1), "kWh": ("energy", 1), "kwh": ("energy", 1),
    "day": ("time", 1), "year": ("time", 365), "hour": ("time", Fraction(1, 24)),
}
HOME_WORDS = {"全区", "该区", "本区", "我区"}


def _base(unit, value):
    """(dimension, value in the dimension's base unit): the float nearest to the exact product,
    so that 8.3 km2 and 8300000 m2 are the same value (8.3 * 1e6 in floats is not)."""
    dim, factor = BASE.get(str(unit), (str(unit), 1))
    try:
        return dim, float(Fraction(str(value)) * factor)
    except ValueError:  # nan, inf
        return dim, float(value) * float(factor)


def period_bounds(p) -> tuple[str | None, str | None]:
    """'2016' -> ('2016-01-01', '2016-12-31'); '2020-01..2020-11'; '..2021-09'; '2021-2025'."""
    if not p:
        return (None, None)
    p = str(p)
    if ".." in p:
        a, b = p.split("..", 1)
    elif len(p) == 9 and p[4] == "-" and p[:4].isdigit() and p[5:].isdigit():
        a, b = p[:4], p[5:]
    else:
        a, b = p, p

    def lo(s):
        if not s:
            return None
        return s if len(s) == 10 else (f"{s}-01-01" if len(s) == 4 else f"{s}-01")

    def hi(s):
        if not s:
            return None
        if len(s) == 10:
            return s
        if len(s) == 4:
            return f"{s}-12-31"
        return month_end(int(s[:4]), int(s[5:7])).isoformat()
    return lo(a), hi(b)


def load_gold(gold_dir: Path) -> list[dict]:
    out = []
    for f in sorted(Path(gold_dir).glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line))
    return out


def load_figures(path: Path) -> list[dict]:
    path = Path(path)
    if path.suffix in (".jsonl", ".json"):
        rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    else:
        import pyarrow.parquet as pq

        rows = pq.read_table(path).to_pylist()
    for r in rows:
        r["doc"] = Path(str(r.get("doc") or r.get("doc_id"))).name
        a, b = r.get("period_start"), r.get("period_end")
        if "period_start" in r or "period_end" in r:
            r["_bounds"] = (str(a)[:10] if a else None, str(b)[:10] if b else None)
        else:
            r["_bounds"] = period_bounds(r.get("period"))
    return rows


def _same_text(gold: str, pred: str | None, home: str | None = None) -> bool:
    if not gold or not pred:
        return False
    if home and gold in HOME_WORDS | {home}:
        gold = home
    if home and pred in HOME_WORDS:
        pred = home
    return gold == pred or gold in pred or pred in gold


def score(gold: list[dict], pred: list[dict]) -> dict:
    by_doc = defaultdict(list)
    for p in pred:
        by_doc[p["doc"]].append(p)
    used: set[int] = set()
    matched, misses = [], []
    for g in gold:
        cands = [p for p in by_doc[g["doc"]] if int(p["start"]) < g["end"] and g["start"] < int(p["end"])]
        dg, vg = _base(g["unit"], g["value"])
        hit = None
        for p in cands:
            dp, vp = _base(p.get("unit"), p.get("value"))
            if id(p) not in used and dg == dp and abs(vg - vp) <= 0.005 * max(abs(vg), abs(vp)) + 1e-9:
                hit = p
                break
        if g.get("core", True):
            (matched.append((g, hit)) if hit is not None else misses.append((g, cands)))
        for p in cands:
            if p is hit or not g.get("core", True):
                used.add(id(p))
    gold_docs = {g["doc"] for g in gold}
    extras = [p for p in pred if id(p) not in used and p["doc"] in gold_docs]
    core = [g for g in gold if g.get("core", True)]
    tp, fp = len(matched), len(extras)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / len(core) if core else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    exact = sum(1 for g, p in matched if _base(g["unit"], g["value"])[1] == _base(p["unit"], p["value"])[1])
    fields = defaultdict(lambda: [0, 0])
    wrong = defaultdict(list)
    for g, p in matched:
        checks = {
            "measure": p.get("measure") == g.get("measure"),
            "period": p["_bounds"] == period_bounds(g.get("period")),
            "status": p.get("status") == g.get("status"),
            "subject": _same_text(g.get("subject", ""), p.get("subject"), p.get("subject")
                                  if g.get("subject") in HOME_WORDS else None),
            "metric": _same_text(g.get("metric", ""), p.get("metric_text")),
        }
        for k, ok in checks.items():
            fields[k][1] += 1
            fields[k][0] += bool(ok)
            if not ok:
                wrong[k].append((g, p))
    return {
        "gold_core": len(core), "predicted": len(pred), "tp": tp, "fp": fp, "fn": len(core) - tp,
        "precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f1, 4),
        "exact_values": round(exact / tp, 4) if tp else None,
        "fields": {k: round(c / n, 4) for k, (c, n) in fields.items()},
        "_misses": misses, "_extras": extras, "_wrong": wrong,
    }


def format_report(res: dict, show: int = 20) -> str:
    lines = [
        f"core figures: {res['gold_core']}  predicted: {res['predicted']}  tp {res['tp']}  fp {res['fp']}  fn {res['fn']}",
        f"precision {res['precision']:.4f}  recall {res['recall']:.4f}  F1 {res['f1']:.4f}  exact values {res['exact_values']}",
        "meaning accuracy over matched figures: " + "  ".join(f"{k} {v:.4f}" for k, v in res["fields"].items()),
    ]
    if show:
        lines.append("misses:")
        for g, cands in res["_misses"][:show]:
            got = [(c.get("text"), c.get("value"), c.get("unit")) for c in cands]
            lines.append(f"  {g['doc']} {g['figure']} = {g['value']} {g['unit']}  [{g['context']}]  got {got}")
        lines.append("false alarms:")
        for p in res["_extras"][:show]:
            lines.append(f"  {p['doc']} {p.get('text')!r} = {p.get('value')} {p.get('unit')} @{p.get('start')}")
        for field, items in res["_wrong"].items():
            lines.append(f"wrong {field}:")
            key = {"metric": "metric_text"}.get(field, field)
            for g, p in items[:show]:
                gv = g.get(field)
                pv = p.get(key) if field != "period" else p.get("period")
                lines.append(f"  {g['doc'][:3]} {g['figure']}: gold {gv!r} got {pv!r}  [{g['context'][:40]}]")
    return "\n".join(lines)


def main(args) -> int:
    gold = load_gold(Path(args.gold))
    if not gold:
        print(f"tongji: error: no gold *.jsonl in {args.gold}", file=sys.stderr)
        return 2
    if args.figures:
        pred = load_figures(Path(args.figures))
    else:
        import tempfile

        from .build import build

        with tempfile.TemporaryDirectory() as d:
            build(Path(args.raw), Path(d), cache=False)
            pred = load_figures(Path(d) / "figures.parquet")
    res = score(gold, pred)
    if args.json:
        print(json.dumps({k: v for k, v in res.items() if not k.startswith("_")}, ensure_ascii=False))
    else:
        print(format_report(res, args.show))
    return 0
