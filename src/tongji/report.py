"""``tongji report DIR``: a static HTML review of a built dataset, ``DIR/report/index.html``.

- ``index.html``: the pages (status, errors, figures per page), the metrics (figures,
  observations and pages per metric), one time-series chart per metric, measure and unit
  (inline SVG drawn here, every point a link to its figure), and the duplicated facts (figures
  with the same value, unit and metric, on one page or several).
- ``docs/dNNNNN.html``, one per page: the raw text with every figure highlighted in place.
  Hovering a figure shows its value, unit, metric, subject, period, status and rule; clicking
  it (or opening ``dNNNNN.html#fK``) shows them in a side panel with links to the other
  figures of the same fact and of the same observation.

The report reads the tables (documents, figures, and when present articles, observations,
metrics) and the raw pages from ``documents.path``, decoded as the build decoded them. It
opens from disk: no network, no script or style from elsewhere.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .ingest import InputError, decode, decode_as
from .output import write_text
from .tables import source_order

MAX_INLINE_CHARS = 1_000_000   # a longer page shows the text around its figures only
EXCERPT = 300                  # characters shown on each side of a figure in that case
MAX_CHARTS = 300
MAX_LINKS = 20                 # links to other figures of the same fact shown per figure
MAX_TABLE_ROWS = 5_000         # rows of a page's table of figures (every figure is highlighted)
MAX_DETAILS = 20_000           # figures of a page with a details panel (the others: hover text)
PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
STATUSES = ("actual", "expected", "plan")

# C0 controls (but line breaks and tabs) shown as their control pictures, one for one
_CONTROLS = {c: 0x2400 + c for c in range(32) if chr(c) not in "\n\r\t"}
_CONTROLS[0x7F] = 0x2421


def esc(x) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def fmt_value(v: float | None) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if not math.isfinite(v):
        return str(v)
    if v == int(v) and abs(v) < 1e18:
        return f"{int(v):,}"
    return f"{v:,.10g}"


def short_value(v: float) -> str:
    """Compact number for axes: 1.3亿, 2500万, 3.5."""
    a = abs(v)
    if a >= 1e8:
        s = f"{v / 1e8:.4g}亿"
    elif a >= 1e4:
        s = f"{v / 1e4:.4g}万"
    else:
        s = f"{v:.4g}"
    return s


# ---------------------------------------------------------------- loading

FIGURE_COLUMNS = ["doc_id", "figure_id", "article", "start", "end", "text", "value", "unit", "approx",
                  "rule", "metric_id", "metric_text", "subject", "measure", "period", "period_start",
                  "period_end", "status", "context"]


@dataclass
class Data:
    dir: Path
    docs: list[dict]
    figs: pa.Table                      # sorted by doc_id, then position on the page
    slices: dict[str, tuple[int, int]]  # doc_id -> (offset, length) of its figures in figs
    obs: list[dict] | None
    metrics: dict[str, dict] = field(default_factory=dict)

    def figures_of(self, doc_id: str) -> list[dict]:
        """The figures of a page in order; the context only for those with a details panel."""
        off, n = self.slices.get(doc_id, (0, 0))
        t = self.figs.slice(off, n)
        if n <= MAX_DETAILS:
            return t.to_pylist()
        rows = t.drop_columns(["context"]).to_pylist()
        for r, c in zip(rows, t["context"].slice(0, MAX_DETAILS).to_pylist()):
            r["context"] = c
        return rows


def _read(path: Path, columns=None) -> pa.Table:
    try:
        return pq.read_table(path, columns=columns)
    except Exception as e:  # a broken file is bad input, not a crash
        raise InputError(f"cannot read {path}: {type(e).__name__}: {e}") from None


def load(d: Path) -> Data:
    """The tables of a dataset; the figures stay an Arrow table (a page may have 200,000)."""
    d = Path(d)
    if not d.is_dir():
        raise InputError(f"dataset folder not found: {d}")
    for name in ("documents", "figures"):
        if not (d / f"{name}.parquet").exists():
            raise InputError(f"{d}: no {name}.parquet (run tongji build --out {d} first)")
    docs = _read(d / "documents.parquet").to_pylist()
    figs = _read(d / "figures.parquet")
    missing = [c for c in FIGURE_COLUMNS if c not in figs.column_names]
    if missing:
        raise InputError(f"{d / 'figures.parquet'}: no column(s) {', '.join(missing)}")
    figs = figs.select(FIGURE_COLUMNS)
    figs = figs.take(source_order(figs))
    runs = pc.run_end_encode(figs["doc_id"].cast(pa.string()).combine_chunks())  # a run per page
    ends = runs.run_ends.to_pylist()
    slices = {doc: (start, end - start)
              for doc, start, end in zip(runs.values.to_pylist(), [0] + ends[:-1], ends)}
    obs = _read(d / "observations.parquet").to_pylist() if (d / "observations.parquet").exists() else None
    metrics = {}
    if (d / "metrics.parquet").exists():
        metrics = {m["id"]: m for m in _read(d / "metrics.parquet").to_pylist()}
    docs.sort(key=lambda r: r["doc_id"])
    return Data(d, docs, figs, slices, obs, metrics)


def metric_key(r: dict) -> str | None:
    return r.get("metric_id") or r.get("metric_text") or r.get("metric") or None


def seq_of(figure_id: str) -> str:
    return figure_id.rsplit("#", 1)[-1]


def resolve_raw(path: str, dataset: Path) -> Path | None:
    """The page file of documents.path: as written (absolute, or from the working folder), else
    from the dataset folder or its parents (a build run from elsewhere)."""
    p = Path(path)
    if p.is_absolute():
        return p if p.is_file() else None
    for base in (Path.cwd(), dataset, *dataset.resolve().parents):
        q = base / p
        if q.is_file():
            return q
    return None


@dataclass
class RawText:
    text: str | None
    file: Path | None
    warnings: list[str]


def raw_text(doc: dict, dataset: Path) -> RawText:
    warnings = []
    f = resolve_raw(doc["path"], dataset)
    if f is None:
        return RawText(None, None, [f"the page file {doc['path']} is not found: figures are listed "
                                    "without their place in the text"])
    try:
        data = f.read_bytes()
    except OSError as e:
        return RawText(None, f, [f"cannot read {f}: {e.strerror or e}"])
    if doc.get("sha256") and hashlib.sha256(data).hexdigest() != doc["sha256"]:
        warnings.append(f"{f} changed since the build (sha256 differs): figures may be misplaced")
    try:
        text = decode_as(data, doc["encoding"]) if doc.get("encoding") else decode(data)[0]
    except (UnicodeDecodeError, LookupError, ValueError):
        try:
            text = decode(data)[0]
        except ValueError as e:
            return RawText(None, f, warnings + [f"cannot decode {f}: {e}"])
    if doc.get("n_chars") is not None and len(text) != doc["n_chars"] and not warnings:
        warnings.append(f"{f} decodes to {len(text)} characters, the build read {doc['n_chars']}")
    return RawText(text, f, warnings)


# ---------------------------------------------------------------- links between figures

@dataclass
class Links:
    """Figures of the same fact (same value, unit and metric) and of the same observation."""

    groups: list[tuple[tuple, list[str]]]   # ((metric, unit, value), figure ids), largest first
    group_of: dict[str, int]                # figure_id -> index in groups (duplicated figures only)
    obs_of: dict[str, dict]                 # figure_id -> the observation it is a source of

    def dups(self, figure_id: str) -> list[str]:
        """The other figures of the same fact (at most MAX_LINKS)."""
        g = self.group_of.get(figure_id)
        if g is None:
            return []
        ids = self.groups[g][1]
        return [i for i in ids[:MAX_LINKS + 1] if i != figure_id][:MAX_LINKS]

    def n_dups(self, figure_id: str) -> int:
        g = self.group_of.get(figure_id)
        return 0 if g is None else len(self.groups[g][1]) - 1


def link_maps(data: Data) -> Links:
    t = data.figs
    metric = pc.coalesce(t["metric_id"], t["metric_text"])
    keyed = pa.table({"metric": metric, "unit": t["unit"], "value": t["value"], "figure_id": t["figure_id"]})
    keyed = keyed.filter(pc.and_(pc.is_valid(keyed["metric"]), pc.is_valid(keyed["value"])))
    agg = keyed.group_by(["metric", "unit", "value"], use_threads=False).aggregate([("figure_id", "list")])
    agg = agg.filter(pc.greater(pc.list_value_length(agg["figure_id_list"]), 1))
    groups = [((r["metric"], r["unit"], r["value"]), r["figure_id_list"]) for r in agg.to_pylist()]
    groups.sort(key=lambda g: (-len(g[1]), g[0][0], g[0][1], g[0][2]))
    group_of = {i: k for k, (_, ids) in enumerate(groups) for i in ids}
    obs_of = {}
    for o in data.obs or []:
        for i in o.get("figure_ids") or []:
            obs_of[i] = o
    return Links(groups, group_of, obs_of)


def href(page_of: dict[str, str], figure_id: str, prefix: str = "") -> str:
    page = page_of.get(figure_id.rsplit("#", 1)[0], "")
    return f"{prefix}{page}#f{seq_of(figure_id)}"


# ---------------------------------------------------------------- charts

def _nice_step(span: float, n: int = 5) -> float:
    raw = span / max(n, 1)
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    k = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * k:
            return m * k
    return 10 * k


def _ticks(lo: float, hi: float) -> list[float]:
    step = _nice_step(hi - lo)
    start = math.ceil(lo / step) * step
    out = []
    v = start
    while v <= hi + step * 1e-9 and len(out) < 20:
        out.append(0.0 if abs(v) < step * 1e-9 else v)
        v += step
    return out


def svg_chart(points: list[dict], title: str = "") -> str:
    """A time-series chart as inline SVG. points: x (date), y (float), series, status, href,
    label. Actual points of a series are joined by a line; expected and plan points are hollow."""
    W, H, L, R, T, B = 720, 250, 78, 170, 12, 34
    pw, ph = W - L - R, H - T - B
    xs = [p["x"].toordinal() for p in points]
    ys = [p["y"] for p in points]
    x0, x1 = min(xs), max(xs)
    if x1 - x0 < 60:
        x0, x1 = x0 - 183, x1 + 183
    xpad = max(10, (x1 - x0) // 30)
    x0, x1 = x0 - xpad, x1 + xpad
    y0, y1 = min(ys + [0.0]), max(ys + [0.0])
    if y1 == y0:
        y1 = y0 + 1.0
    pad = (y1 - y0) * 0.08
    y0, y1 = (y0 - pad if y0 < 0 else y0), y1 + pad

    def sx(x: float) -> float:
        return L + (x - x0) / (x1 - x0) * pw

    def sy(y: float) -> float:
        return T + ph - (y - y0) / (y1 - y0) * ph

    out = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" '
           f'width="{W}" height="{H}" role="img" aria-label="{esc(title)}">']
    out.append(f'<rect class="plot" x="{L}" y="{T}" width="{pw}" height="{ph}"/>')
    for v in _ticks(y0, y1):
        y = sy(v)
        out.append(f'<line class="grid" x1="{L}" x2="{L + pw}" y1="{y:.1f}" y2="{y:.1f}"/>'
                   f'<text class="tick" x="{L - 6}" y="{y + 4:.1f}" text-anchor="end">{esc(short_value(v))}</text>')
    if y0 < 0 < y1:
        out.append(f'<line class="zero" x1="{L}" x2="{L + pw}" y1="{sy(0):.1f}" y2="{sy(0):.1f}"/>')
    d0, d1 = dt.date.fromordinal(x0), dt.date.fromordinal(x1)
    years = list(range(d0.year + (1 if (d0.month, d0.day) != (1, 1) else 0), d1.year + 1))
    step = max(1, math.ceil(len(years) / 8))
    if len(years) >= 2:
        marks = [(dt.date(y, 1, 1), str(y)) for y in years[::step]]
    else:
        marks = []
        m = dt.date(d0.year, d0.month, 1)
        while m <= d1:
            if m >= d0:
                marks.append((m, f"{m.year}-{m.month:02d}"))
            m = dt.date(m.year + (m.month == 12), m.month % 12 + 1, 1)
        marks = marks[::max(1, math.ceil(len(marks) / 6))]
    for d, label in marks:
        x = sx(d.toordinal())
        out.append(f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{T}" y2="{T + ph}"/>'
                   f'<text class="tick" x="{x:.1f}" y="{T + ph + 16}" text-anchor="middle">{label}</text>')

    series: dict[str, list[dict]] = {}
    for p in points:
        series.setdefault(p["series"], []).append(p)
    names = sorted(series, key=lambda s: (-len(series[s]), s))
    color = {s: (PALETTE[i] if i < len(PALETTE) else "#888") for i, s in enumerate(names)}
    for s in names:
        line = sorted((p for p in series[s] if p["status"] == "actual"), key=lambda p: p["x"])
        if len(line) > 1:
            pts = " ".join(f"{sx(p['x'].toordinal()):.1f},{sy(p['y']):.1f}" for p in line)
            out.append(f'<polyline class="series" points="{pts}" stroke="{color[s]}"/>')
    for s in names:
        for p in series[s]:
            cls = "pt " + (p["status"] if p["status"] in STATUSES else "actual")
            fill = color[s] if p["status"] == "actual" else "white"
            tip = f"{p['label']}\n{s}\n{p['x'].isoformat()}  {p['status']}"
            out.append(f'<a href="{esc(p["href"])}"><circle class="{cls}" cx="{sx(p["x"].toordinal()):.1f}" '
                       f'cy="{sy(p["y"]):.1f}" r="4.5" fill="{fill}" stroke="{color[s]}">'
                       f'<title>{esc(tip)}</title></circle></a>')
    for i, s in enumerate(names[:len(PALETTE)]):
        y = T + 10 + i * 16
        out.append(f'<circle cx="{L + pw + 14}" cy="{y}" r="4.5" fill="{color[s]}"/>'
                   f'<text class="legend" x="{L + pw + 24}" y="{y + 4}">{esc(s[:18])}</text>')
    if len(names) > len(PALETTE):
        y = T + 10 + len(PALETTE) * 16
        out.append(f'<text class="legend" x="{L + pw + 10}" y="{y + 4}">+{len(names) - len(PALETTE)} more (grey)</text>')
    out.append("</svg>")
    return "".join(out)


def chart_groups(data: Data, page_of: dict[str, str]) -> tuple[list[dict], int]:
    """Points per (metric, measure, unit), from the observations when the dataset has them,
    else from the figures. Returns (groups sorted by size, number of undated points)."""
    rows = data.obs if data.obs is not None else data.figs.select(
        [c for c in FIGURE_COLUMNS if c not in ("context", "text")]).to_pylist()
    groups: dict[tuple, dict] = {}
    undated = 0
    for r in rows:
        m = metric_key(r)
        if m is None or r.get("value") is None or not math.isfinite(r["value"]):
            continue
        x = r.get("period_end") or r.get("period_start")
        if x is None:
            undated += 1
            continue
        fid = r.get("value_figure_id") or r.get("figure_id")
        series = r.get("subject") or "?"
        if r.get("component"):
            series += f" · {r['component']}"
        key = (m, r.get("measure") or "level", r.get("unit") or "")
        g = groups.setdefault(key, {"metric": m, "measure": key[1], "unit": key[2], "points": [],
                                    "catalogued": bool(r.get("metric_id"))})
        n = len(r.get("figure_ids") or [fid])
        label = f"{fmt_value(r['value'])} {key[2]}" + (f"  ({n} sources)" if n > 1 else "")
        if r.get("conflict"):
            label += "  conflict"
        g["points"].append({"x": x, "y": float(r["value"]), "series": series,
                            "status": r.get("status") or "actual",
                            "href": href(page_of, fid, "docs/") if fid else "#", "label": label})
    out = sorted(groups.values(), key=lambda g: (not g["catalogued"], -len(g["points"]), g["metric"], g["measure"], g["unit"]))
    return out, undated


# ---------------------------------------------------------------- pages

CSS = """
body{font:14px/1.5 system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;color:#222}
header,main,footer{padding:0 24px}
h1{font-size:20px;margin:16px 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:13px}th,td{border-bottom:1px solid #eee;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f6f6;position:sticky;top:0}td.num,th.num{text-align:right}
tr.error td{background:#fff0f0}.error-msg{color:#b00020}
.warn{background:#fff6d6;border:1px solid #e6c200;padding:6px 10px;margin:8px 0}
.chart-box{display:inline-block;margin:0 16px 18px 0;vertical-align:top}
.chart-box figcaption{font-weight:600;margin-bottom:2px}
svg.chart{font-size:11px;background:#fff}svg.chart .plot{fill:#fcfcfc;stroke:#ccc}
svg.chart .grid{stroke:#eee}svg.chart .zero{stroke:#999}svg.chart .tick,svg.chart .legend{fill:#555}
svg.chart .series{fill:none;stroke-width:1.5}svg.chart .pt{stroke-width:2;cursor:pointer}
pre.raw{white-space:pre-wrap;word-break:break-all;font:15px/1.7 "Noto Sans Mono CJK SC","Noto Sans CJK SC",monospace;
 background:#fafafa;border:1px solid #e3e3e3;padding:12px;max-width:60em}
mark.fig,.swatch{background:#ffe58a;border-radius:2px;padding:0 1px;color:inherit}mark.fig{cursor:pointer}
.fig.expected,.swatch.expected{background:#c8e6ff}.fig.plan,.swatch.plan{background:#d9f2c4}
.fig.dup,.swatch.dup{box-shadow:inset 0 -2px 0 #d62728}mark.fig.cur{outline:2px solid #d62728}
.gap{color:#999;font-style:italic}
#panel{position:fixed;right:12px;top:12px;width:330px;max-height:90vh;overflow:auto;background:#fff;
 border:1px solid #bbb;box-shadow:0 2px 10px rgba(0,0,0,.15);padding:10px 12px;font-size:13px;display:none}
#panel.open{display:block}#panel table td:first-child{color:#666;white-space:nowrap}
#panel .close{float:right;cursor:pointer;border:none;background:none;font-size:16px}
.legend-box span{margin-right:12px}
nav{margin:10px 0}nav a{margin-right:14px}
.small{color:#666;font-size:12px}
"""

JS = r"""
(function(){
  var data = JSON.parse(document.getElementById('figdata').textContent);
  var panel = document.getElementById('panel');
  var FIELDS = [['text','figure'],['value','value'],['unit','unit'],['metric','metric'],
    ['subject','subject'],['measure','measure'],['period','period'],['status','status'],
    ['approx','approx'],['rule','rule'],['article','article'],['figure_id','figure id']];
  function esc(s){return String(s).replace(/[&<>"]/g,function(c){
    return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c];});}
  function links(list){
    return list.map(function(l){return '<a href="'+esc(l[0])+'">'+esc(l[1])+'</a>';}).join('<br>');}
  function show(id){
    var d = data[id], el = document.getElementById(id);
    if(!d && el && el.title){ d = {text: el.title}; }   // a huge page: details of the first figures only
    if(!d){return;}
    var prev = document.querySelector('mark.cur'); if(prev){prev.classList.remove('cur');}
    var m = document.getElementById(id);
    if(m){m.classList.add('cur');}
    var h = '<button class="close" title="close">\u00d7</button><table>';
    FIELDS.forEach(function(f){ var v = d[f[0]];
      if(v!==null && v!==undefined && v!==''){h += '<tr><td>'+f[1]+'</td><td class="v-'+f[0]+'">'+esc(v)+'</td></tr>';}});
    h += '</table>';
    if(d.context){h += '<p class="small">'+esc(d.context)+'</p>';}
    if(d.dups && d.dups.length){h += '<p><b>Same value, unit and metric</b> ('+d.n_dups+')<br>'+links(d.dups)+
      (d.n_dups > d.dups.length ? '<br>… '+(d.n_dups - d.dups.length)+' more' : '')+'</p>';}
    if(d.obs){h += '<p><b>Observation</b> '+esc(d.obs.summary)+(d.obs.others.length?'<br>'+links(d.obs.others):'')+'</p>';}
    panel.innerHTML = h; panel.classList.add('open'); panel.dataset.figure = id;
    panel.querySelector('.close').onclick = function(){panel.classList.remove('open');};
  }
  document.addEventListener('click', function(e){
    var m = e.target.closest ? e.target.closest('mark.fig') : null;
    if(m){ show(m.id); if(history.replaceState){history.replaceState(null,'','#'+m.id);} }
  });
  function fromHash(){ var id = decodeURIComponent(location.hash.slice(1));
    if(data[id] || document.getElementById(id)){ show(id); var m = document.getElementById(id); if(m && m.scrollIntoView){m.scrollIntoView({block:'center'});} } }
  window.addEventListener('hashchange', fromHash);
  fromHash();
  document.documentElement.setAttribute('data-ready', '1');
})();
"""


def page(title: str, body: str, script: str = "") -> str:
    return ("<!DOCTYPE html>\n<html lang=\"zh\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width\"><title>{esc(title)}</title>"
            f"<style>{CSS}</style></head><body>{body}{script}</body></html>\n")


def _tip(f: dict) -> str:
    lines = [f"{f['text']} = {fmt_value(f['value'])} {f['unit']}"]
    for k in ("metric_id", "metric_text", "subject", "measure", "period", "status", "rule"):
        if f.get(k) not in (None, ""):
            lines.append(f"{k}: {f[k]}")
    return "\n".join(lines)


def render_text(text: str, figs: list[dict], links: Links, placed: set | None = None) -> tuple[str, int]:
    """The raw text with a <mark> per figure. Returns (html, figures not placed); adds the
    figure_id of each figure placed to ``placed``."""
    placed = set() if placed is None else placed
    n = len(text)
    spans = []
    missed = 0
    for f in sorted(figs, key=lambda f: (f["start"], -f["end"])):
        a, b = f["start"], f["end"]
        if not (0 <= a < b <= n) or text[a:b] != f["text"]:
            missed += 1
            continue
        spans.append((a, b, f))
    # windows of text to show: all of it, or excerpts around the figures of a huge page
    if n <= MAX_INLINE_CHARS:
        windows = [(0, n)]
    else:
        windows = []
        for a, b, _ in spans:
            lo, hi = max(0, a - EXCERPT), min(n, b + EXCERPT)
            if windows and lo <= windows[-1][1]:
                windows[-1] = (windows[-1][0], max(windows[-1][1], hi))
            else:
                windows.append((lo, hi))
    out: list[str] = []

    def plain(a: int, b: int) -> None:
        if b > a:
            out.append(esc(text[a:b].translate(_CONTROLS)))

    shown = 0
    si = 0
    for wa, wb in windows:
        if wa > shown:
            out.append(f'<span class="gap">\n[… {wa - shown:,} characters …]\n</span>')
        pos = wa
        while si < len(spans) and spans[si][0] < wb:
            a, b, f = spans[si]
            si += 1
            if b <= pos:      # inside the previous figure: listed in the table only
                continue
            a = max(a, pos)
            plain(pos, a)
            seq = seq_of(f["figure_id"])
            cls = "fig " + (f.get("status") or "actual") + (" dup" if f["figure_id"] in links.group_of else "")
            out.append(f'<mark class="{cls}" id="f{seq}" title="{esc(_tip(f))}">'
                       f'{esc(text[a:b].translate(_CONTROLS))}</mark>')
            placed.add(f["figure_id"])
            pos = b
        plain(pos, wb)
        shown = wb
    if shown < n:
        out.append(f'<span class="gap">\n[… {n - shown:,} characters …]\n</span>')
    return "".join(out), missed


def _fig_json(f: dict, page_of, links: Links) -> dict:
    d = {k: f.get(k) for k in ("text", "unit", "subject", "measure", "period", "status", "approx",
                               "rule", "article", "figure_id")}
    d["context"] = (f.get("context") or "")[:400]
    d["value"] = fmt_value(f["value"])
    metric = f.get("metric_id") or ""
    if f.get("metric_text"):
        metric = f"{metric} ({f['metric_text']})" if metric else f["metric_text"]
    d["metric"] = metric or None
    d["dups"] = [[href(page_of, j), j] for j in links.dups(f["figure_id"])]
    d["n_dups"] = links.n_dups(f["figure_id"])
    o = links.obs_of.get(f["figure_id"])
    if o is not None:
        ids = o.get("figure_ids") or []
        n = len(ids)
        summary = (f"{o.get('metric')} {o.get('measure')} of {o.get('subject')}, {o.get('period') or 'no period'}, "
                   f"{o.get('status')}: value {fmt_value(o.get('value'))} {o.get('unit')} "
                   f"from {o.get('value_figure_id')}; {n} source{'s' if n != 1 else ''}"
                   + ("; the sources conflict" if o.get("conflict") else ""))
        others = [[href(page_of, j), j] for j in ids[:MAX_LINKS + 1] if j != f["figure_id"]][:MAX_LINKS]
        d["obs"] = {"summary": summary, "others": others}
    return d


def doc_page(doc: dict, i: int, n_docs: int, figs: list[dict], data: Data, page_of,
             links: Links) -> tuple[str, int]:
    nav = ['<nav><a href="../index.html">← all pages</a>']
    if i > 0:
        nav.append(f'<a href="d{i - 1:05d}.html">‹ previous</a>')
    if i + 1 < n_docs:
        nav.append(f'<a href="d{i + 1:05d}.html">next ›</a>')
    nav.append("</nav>")
    body = [f"<header>{''.join(nav)}<h1>{esc(doc.get('title') or doc['doc_id'])}</h1>",
            f'<p class="small">{esc(doc["doc_id"])} · {esc(doc["path"])} · published '
            f'{esc(doc.get("published") or "unknown")} ({esc(doc.get("published_source"))}) · '
            f'encoding {esc(doc.get("encoding") or "-")} · {doc.get("n_chars") or 0:,} characters · '
            f'{len(figs)} figures</p></header><main>']
    missed = 0
    placed: set[str] = set()
    if doc["status"] != "ok":
        body.append(f'<p class="warn error-msg">This page is in error: {esc(doc.get("error"))}</p>')
    else:
        rt = raw_text(doc, data.dir)
        for w in rt.warnings:
            body.append(f'<p class="warn">{esc(w)}</p>')
        body.append('<p class="legend-box small"><span class="swatch actual">actual</span>'
                    '<span class="swatch expected">expected</span>'
                    '<span class="swatch plan">plan</span>'
                    '<span class="swatch dup">same fact elsewhere</span>'
                    'hover a figure for its meaning, click it for the details and links</p>')
        if rt.text is not None:
            text_html, missed = render_text(rt.text, figs, links, placed)
            if missed:
                body.append(f'<p class="warn">{missed} figure(s) do not match the text at their offsets: '
                            'they are listed below only</p>')
            if len(rt.text) > MAX_INLINE_CHARS:
                body.append(f'<p class="warn">A long page ({len(rt.text):,} characters): only the text '
                            f'around its figures is shown.</p>')
            body.append(f'<pre class="raw" id="raw">{text_html}</pre>')
    if figs:
        body.append('<h2>Figures</h2><table class="figures"><tr><th class="num">#</th><th>figure</th>'
                    '<th class="num">value</th><th>unit</th><th>metric</th><th>subject</th><th>measure</th>'
                    '<th>period</th><th>status</th><th>rule</th><th>same fact</th></tr>')
        shown = 0
        for f in figs:
            # a figure not in the text above is found here by its anchor: always listed
            if shown >= MAX_TABLE_ROWS and f["figure_id"] in placed:
                continue
            shown += 1
            seq = seq_of(f["figure_id"])
            dl = " ".join(f'<a href="{esc(href(page_of, j))}">{esc(j)}</a>' for j in links.dups(f["figure_id"]))
            more = links.n_dups(f["figure_id"]) - MAX_LINKS
            if more > 0:
                dl += f" … {more:,} more"
            rid = f"row-f{seq}" if f["figure_id"] in placed else f"f{seq}"
            body.append(
                f'<tr id="{rid}"><td class="num"><a href="#f{seq}">{seq}</a></td><td>{esc(f["text"])}</td>'
                f'<td class="num">{esc(fmt_value(f["value"]))}</td><td>{esc(f["unit"])}</td>'
                f'<td>{esc(f.get("metric_id") or f.get("metric_text") or "")}</td><td>{esc(f.get("subject") or "")}</td>'
                f'<td>{esc(f.get("measure") or "")}</td><td>{esc(f.get("period") or "")}</td>'
                f'<td>{esc(f.get("status") or "")}</td><td>{esc(f.get("rule"))}</td><td>{dl}</td></tr>')
        body.append("</table>")
        if shown < len(figs):
            body.append(f'<p class="small">The first {shown:,} of {len(figs):,} figures; every figure is '
                        'highlighted in the text above.</p>')
    body.append('</main><aside id="panel"></aside>')
    payload = {f"f{seq_of(f['figure_id'])}": _fig_json(f, page_of, links) for f in figs[:MAX_DETAILS]}
    blob = json.dumps(payload, ensure_ascii=False, default=str).replace("</", "<\\/")
    script = f'<script type="application/json" id="figdata">{blob}</script><script>{JS}</script>'
    return page(f"{doc['doc_id']} — tongji report", "".join(body), script), missed


def metric_counts(data: Data) -> list[tuple[str, dict]]:
    """Per metric (metric_id, else metric_text): figures, pages, observations; most figures first."""
    t = data.figs
    keyed = pa.table({"metric": pc.fill_null(pc.coalesce(t["metric_id"], t["metric_text"]), "(no metric)"),
                      "catalogued": pc.is_valid(t["metric_id"]), "doc_id": t["doc_id"]})
    agg = keyed.group_by("metric", use_threads=False).aggregate(
        [("doc_id", "count"), ("doc_id", "count_distinct"), ("catalogued", "any")])
    per = {r["metric"]: {"figures": r["doc_id_count"], "pages": r["doc_id_count_distinct"],
                         "catalogued": bool(r["catalogued_any"]), "obs": 0} for r in agg.to_pylist()}
    for o in data.obs or []:
        m = metric_key(o) or "(no metric)"
        if m in per:
            per[m]["obs"] += 1
    return sorted(per.items(), key=lambda kv: (-kv[1]["figures"], kv[0]))


def index_page(data: Data, page_of, links: Links, charts, undated, missed: dict) -> str:
    docs = data.docs
    dup_groups = links.groups
    n_err = sum(d["status"] != "ok" for d in docs)
    b = [f"<header><h1>tongji report — {esc(data.dir.resolve().name)}</h1>",
         f'<p>{len(docs)} pages ({n_err} in error), {data.figs.num_rows:,} figures'
         + (f", {len(data.obs):,} observations" if data.obs is not None else "")
         + f", {len(dup_groups)} duplicated facts, {min(len(charts), MAX_CHARTS)} charts."
         f' <a href="#pages">pages</a> · <a href="#metrics">metrics</a> · <a href="#charts">charts</a> · '
         f'<a href="#duplicates">duplicated facts</a></p></header><main>']
    if n_err:
        b.append(f'<p class="warn error-msg">{n_err} page(s) could not be built: see the rows in red.</p>')

    b.append('<h2 id="pages">Pages</h2><table class="pages"><tr><th>page</th><th>title</th><th>published</th>'
             '<th>encoding</th><th class="num">characters</th><th class="num">articles</th>'
             '<th class="num">figures</th><th>status</th></tr>')
    for d in docs:
        n = data.slices.get(d["doc_id"], (0, 0))[1]
        status = "ok" if d["status"] == "ok" else f'<span class="error-msg">{esc(d["status"])}: {esc(d.get("error"))}</span>'
        if missed.get(d["doc_id"]):
            status += f' <span class="error-msg">({missed[d["doc_id"]]} figures not in place)</span>'
        b.append(f'<tr class="{"ok" if d["status"] == "ok" else "error"}" data-doc="{esc(d["doc_id"])}">'
                 f'<td><a href="docs/{page_of[d["doc_id"]]}">{esc(d["doc_id"])}</a></td>'
                 f'<td>{esc(d.get("title") or "")}</td><td>{esc(d.get("published") or "")}</td>'
                 f'<td>{esc(d.get("encoding") or "")}</td><td class="num">{d.get("n_chars") or 0:,}</td>'
                 f'<td class="num">{d.get("n_articles") or 0}</td><td class="num figures-count">{n}</td>'
                 f'<td>{status}</td></tr>')
    b.append("</table>")

    chart_of: dict[str, str] = {}
    for k, g in enumerate(charts[:MAX_CHARTS]):
        chart_of.setdefault(g["metric"], f"chart{k}")
    b.append('<h2 id="metrics">Metrics</h2><table class="metrics"><tr><th>metric</th><th>name</th>'
             '<th class="num">figures</th>' + ('<th class="num">observations</th>' if data.obs is not None else "")
             + '<th class="num">pages</th><th>chart</th></tr>')
    for m, e in metric_counts(data):
        name = data.metrics.get(m, {}).get("name") or ("" if e["catalogued"] else "not catalogued")
        ch = f'<a href="#{chart_of[m]}">chart</a>' if m in chart_of else ""
        b.append(f'<tr><td>{esc(m)}</td><td>{esc(name)}</td><td class="num">{e["figures"]}</td>'
                 + (f'<td class="num">{e["obs"]}</td>' if data.obs is not None else "")
                 + f'<td class="num">{e["pages"]}</td><td>{ch}</td></tr>')
    b.append("</table>")

    b.append(f'<h2 id="charts">Charts</h2><p class="small">One chart per metric, measure and unit, from the '
             f'{"observations" if data.obs is not None else "figures"}; x is the end of the period. Filled: '
             f'actual; hollow: expected or plan. Every point links to its figure. {undated:,} with a metric '
             f'but no period are not drawn.</p>')
    for k, g in enumerate(charts[:MAX_CHARTS]):
        name = data.metrics.get(g["metric"], {}).get("name")
        title = f"{g['metric']}" + (f" {name}" if name else "") + f" — {g['measure']} ({g['unit']})"
        b.append(f'<figure class="chart-box" id="chart{k}" data-metric="{esc(g["metric"])}"><figcaption>{esc(title)}'
                 f' <span class="small">{len(g["points"])} points</span></figcaption>'
                 f'{svg_chart(g["points"], title)}</figure>')
    if len(charts) > MAX_CHARTS:
        b.append(f'<p class="small">{len(charts) - MAX_CHARTS} more charts are left out.</p>')

    b.append('<h2 id="duplicates">Duplicated facts</h2><p class="small">Figures with the same value, unit '
             'and metric, on one page or on several.</p><table class="dups"><tr><th>metric</th>'
             '<th class="num">value</th><th>unit</th><th class="num">figures</th><th>where</th></tr>')
    for (m, unit, value), ids in dup_groups:
        where = " ".join(f'<a href="{esc(href(page_of, j, "docs/"))}">{esc(j)}</a>' for j in ids[:50])
        if len(ids) > 50:
            where += f" … {len(ids) - 50:,} more"
        b.append(f'<tr><td>{esc(m)}</td><td class="num">{esc(fmt_value(value))}</td><td>{esc(unit)}</td>'
                 f'<td class="num">{len(ids)}</td><td>{where}</td></tr>')
    b.append("</table></main>")
    return page(f"tongji report — {data.dir.resolve().name}", "".join(b))


def write_report(d: Path) -> dict:
    """Write DIR/report/index.html and DIR/report/docs/*.html; returns counts."""
    data = load(d)
    out = Path(d) / "report"
    page_of = {doc["doc_id"]: f"d{i:05d}.html" for i, doc in enumerate(data.docs)}
    links = link_maps(data)
    missed: dict[str, int] = {}
    for i, doc in enumerate(data.docs):
        figs = data.figures_of(doc["doc_id"])
        html_text, miss = doc_page(doc, i, len(data.docs), figs, data, page_of, links)
        del figs
        if miss:
            missed[doc["doc_id"]] = miss
        write_text(html_text, out / "docs" / page_of[doc["doc_id"]])
    keep = set(page_of.values())
    for p in (out / "docs").glob("d*.html"):
        if re.fullmatch(r"d\d{5}\.html", p.name) and p.name not in keep:
            p.unlink()
    charts, undated = chart_groups(data, page_of)
    write_text(index_page(data, page_of, links, charts, undated, missed), out / "index.html")
    return {"documents": len(data.docs), "figures": data.figs.num_rows, "charts": min(len(charts), MAX_CHARTS),
            "duplicates": len(links.groups), "not_placed": sum(missed.values()), "index": out / "index.html"}


def main(args) -> int:
    c = write_report(Path(args.dir))
    print(f"tongji report: {c['documents']} pages, {c['figures']} figures, {c['charts']} charts, "
          f"{c['duplicates']} duplicated facts -> {c['index']}", file=sys.stderr)
    if c["not_placed"]:
        print(f"tongji report: {c['not_placed']} figures do not match their page's text (see the pages)",
              file=sys.stderr)
    return 0
