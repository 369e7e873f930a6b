"""tongji report: the static HTML review of a built dataset, checked as files and in Chromium."""
import html.parser
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tongji import report
from tongji.build import build
from tongji.cli import main as cli

from conftest import RAW

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class Marks(html.parser.HTMLParser):
    """The <mark class="fig"> elements of a page (id -> text), the ids and the links."""

    def __init__(self):
        super().__init__()
        self.marks: dict[str, str] = {}
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.srcs: list[str] = []
        self.svgs = 0
        self.points = 0
        self._in: str | None = None
        self.data: str | None = None
        self._script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "mark" and "fig" in (a.get("class") or "").split():
            self._in = a["id"]
            self.marks[a["id"]] = ""
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        for k in ("src", "href"):
            if k in a and tag not in ("a",):
                self.srcs.append(a[k])
        if tag == "svg" and "chart" in (a.get("class") or ""):
            self.svgs += 1
        if tag == "circle" and "pt" in (a.get("class") or ""):
            self.points += 1
        if tag == "script" and a.get("id") == "figdata":
            self._script = True

    def handle_endtag(self, tag):
        if tag == "mark":
            self._in = None
        if tag == "script":
            self._script = False

    def handle_data(self, data):
        if self._in is not None:
            self.marks[self._in] += data
        if self._script:
            self.data = (self.data or "") + data


def parse(path: Path) -> Marks:
    m = Marks()
    m.feed(path.read_text(encoding="utf-8"))
    return m


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """data/raw, a GBK copy of one page, a page that is gone after the build and a binary
    file, built and reported."""
    root = tmp_path_factory.mktemp("report")
    raw = root / "raw"
    shutil.copytree(RAW, raw)
    text = (RAW / "003_e2ecd0b9fc1f0dbe.txt").read_text(encoding="utf-8")
    (raw / "gbk_copy.txt").write_bytes(text.encode("gbk"))
    (raw / "gone.txt").write_text("2020年全区实现地区生产总值130.23亿元，同比增长3.5%。\n", encoding="utf-8")
    (raw / "junk.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    out = root / "dataset"
    build(raw, out, jobs=1, cache=False)
    (raw / "gone.txt").unlink()
    assert cli(["report", str(out)]) == 0
    return out


def doc_pages(site: Path) -> dict[str, Path]:
    docs = pq.read_table(site / "documents.parquet").to_pylist()
    docs.sort(key=lambda d: d["doc_id"])
    return {d["doc_id"]: site / "report" / "docs" / f"d{i:05d}.html" for i, d in enumerate(docs)}


def test_every_figure_is_highlighted_in_its_page(site):
    figs = pq.read_table(site / "figures.parquet").to_pylist()
    pages = doc_pages(site)
    by_doc: dict[str, list[dict]] = {}
    for f in figs:
        by_doc.setdefault(f["doc_id"], []).append(f)
    assert set(by_doc) >= {"003_e2ecd0b9fc1f0dbe", "gbk_copy"}
    for doc_id, fl in by_doc.items():
        if doc_id == "gone":
            continue
        m = parse(pages[doc_id])
        assert len(m.marks) == len(fl), doc_id
        for f in fl:
            assert m.marks["f" + f["figure_id"].rsplit("#", 1)[1]] == f["text"], f["figure_id"]
    # the GBK page is read back with its encoding: same highlights as its UTF-8 original
    a, b = parse(pages["003_e2ecd0b9fc1f0dbe"]), parse(pages["gbk_copy"])
    assert a.marks == b.marks


def test_details_of_each_figure(site):
    figs = {f["figure_id"]: f for f in pq.read_table(site / "figures.parquet").to_pylist()}
    m = parse(doc_pages(site)["004_21862cf62bd92120"])
    data = json.loads(m.data)
    f = figs["004_21862cf62bd92120#1"]
    d = data["f1"]
    assert d["text"] == f["text"] and d["unit"] == f["unit"] and d["rule"] == f["rule"]
    assert d["status"] == f["status"] and d["period"] == f["period"] and d["subject"] == f["subject"]
    page = doc_pages(site)["004_21862cf62bd92120"].read_text(encoding="utf-8")
    # the hover text says what the figure is
    tip = re.search(r'<mark class="[^"]*" id="f1" title="([^"]*)"', page)[1]
    assert f["unit"] in tip and f"rule: {f['rule']}" in tip and f"status: {f['status']}" in tip


def test_links_between_duplicated_facts(site):
    figs = pq.read_table(site / "figures.parquet").to_pylist()
    pages = doc_pages(site)
    key = lambda f: (f["metric_id"] or f["metric_text"], f["unit"], f["value"])  # noqa: E731
    groups: dict = {}
    for f in figs:
        if f["metric_id"] or f["metric_text"]:
            groups.setdefault(key(f), []).append(f["figure_id"])
    dups = {k: v for k, v in groups.items() if len(v) > 1}
    # the GBK copy repeats every fact of its original: links across pages
    cross = [v for v in dups.values() if len({i.rsplit("#", 1)[0] for i in v}) > 1]
    assert cross
    index = parse(site / "report" / "index.html")
    for ids in cross[:10]:
        for i in ids:
            doc_id, seq = i.rsplit("#", 1)
            data = json.loads(parse(pages[doc_id]).data)
            linked = {x[1] for x in data["f" + seq]["dups"]}
            assert linked == set(ids) - {i}
            for target, _ in data["f" + seq]["dups"]:
                page, anchor = target.split("#")
                assert anchor in parse(pages[doc_id].parent / page).ids
            assert f"docs/{pages[doc_id].name}#f{seq}" in index.links


def test_index_counts_pages_metrics_and_charts(site):
    index = (site / "report" / "index.html").read_text(encoding="utf-8")
    m = parse(site / "report" / "index.html")
    docs = pq.read_table(site / "documents.parquet").to_pylist()
    for d in docs:
        row = re.search(rf'<tr class="\w+" data-doc="{re.escape(d["doc_id"])}">.*?</tr>', index)[0]
        assert f'<td class="num figures-count">{d["n_figures"]}</td>' in row
        if d["status"] == "error":
            assert "binary file" in row
    assert 'data-doc="junk"' in index
    assert m.svgs >= 10 and m.points >= 50
    # each chart point links to a figure anchor that exists
    ids = {p.name: parse(p).ids for p in (site / "report" / "docs").glob("*.html")}
    points = [x for x in m.links if x.startswith("docs/") and "#" in x]
    assert len(points) >= 50
    for link in points:
        page, anchor = link[len("docs/"):].split("#")
        assert anchor in ids[page], link
    # counts per metric
    assert '<table class="metrics">' in index and "total_investment" in index


def test_report_is_static_and_offline(site):
    for p in (site / "report").rglob("*.html"):
        text = p.read_text(encoding="utf-8")
        m = parse(p)
        assert not [s for s in m.srcs if re.match(r"(?i)(https?:)?//", s)], p
        assert not re.search(r"<script[^>]+src=|<link[^>]+href=|@import|url\(", text), p
        assert not [x for x in m.links if re.match(r"(?i)(https?:)?//", x)], p


def test_a_missing_page_file_is_reported_and_its_figures_listed(site):
    page = doc_pages(site)["gone"].read_text(encoding="utf-8")
    assert "is not found" in page
    assert '<table class="figures">' in page and "130.23亿元" in page


def test_a_long_page_shows_the_text_around_its_figures(site, monkeypatch, tmp_path):
    monkeypatch.setattr(report, "MAX_INLINE_CHARS", 2000)
    monkeypatch.setattr(report, "EXCERPT", 40)
    out = tmp_path / "ds"
    shutil.copytree(site, out, ignore=shutil.ignore_patterns("report"))
    report.write_report(out)
    figs = [f for f in pq.read_table(out / "figures.parquet").to_pylist()
            if f["doc_id"] == "004_21862cf62bd92120"]
    p = doc_pages(out)["004_21862cf62bd92120"]
    m = parse(p)
    assert len(m.marks) == len(figs)
    assert "characters …]" in p.read_text(encoding="utf-8")


def test_charts_from_figures_when_there_are_no_observations(site, tmp_path):
    out = tmp_path / "ds"
    shutil.copytree(site, out, ignore=shutil.ignore_patterns("report", "observations.parquet"))
    c = report.write_report(out)
    assert c["charts"] >= 10
    assert parse(out / "report" / "index.html").svgs == c["charts"]


def test_svg_chart_of_one_point_and_of_negative_values():
    import datetime as dt

    one = report.svg_chart([{"x": dt.date(2020, 12, 31), "y": 5.0, "series": "示范区", "status": "actual",
                             "href": "docs/d00000.html#f1", "label": "5"}])
    assert one.count("<circle") >= 1 and "nan" not in one
    neg = report.svg_chart([{"x": dt.date(2019 + i, 12, 31), "y": v, "series": "s", "status": s,
                             "href": "#", "label": ""} for i, (v, s) in
                            enumerate([(-3.5, "actual"), (2.0, "actual"), (1e10, "plan")])])
    assert 'class="zero"' in neg and "<polyline" in neg and "nan" not in neg


@pytest.mark.parametrize("argv", [["report", "/nonexistent/dataset"], ["report", "README.md"]])
def test_report_bad_folder_exit_2(argv, capsys):
    assert cli(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_report_folder_without_tables_exit_2(tmp_path, capsys):
    assert cli(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "documents.parquet" in err and "\n" not in err


def test_report_broken_table_exit_2(site, tmp_path, capsys):
    out = tmp_path / "ds"
    shutil.copytree(site, out, ignore=shutil.ignore_patterns("report"))
    (out / "figures.parquet").write_bytes(b"PAR1 not really")
    assert cli(["report", str(out)]) == 2
    assert "figures.parquet" in capsys.readouterr().err


# ---------------------------------------------------------------- in a browser

def _chromium() -> str | None:
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def chromium():
    path = _chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: CI must install it (.ci/run does)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return path


def dump_dom(chromium: str, url: str, tmp_path: Path) -> str:
    profile = tmp_path / f"profile{len(list(tmp_path.iterdir()))}"
    cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url]
    env = {**os.environ, "HOME": str(tmp_path)}
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0 and "<html" in r.stdout, r.stderr[-2000:]
    return r.stdout


def test_report_renders_in_chromium(site, chromium, tmp_path):
    index = dump_dom(chromium, (site / "report" / "index.html").as_uri(), tmp_path)
    m = Marks()
    m.feed(index)
    assert m.svgs >= 10 and m.points >= 50
    figs = [f for f in pq.read_table(site / "figures.parquet").to_pylist() if f["doc_id"] == "004_21862cf62bd92120"]
    f = figs[0]
    seq = f["figure_id"].rsplit("#", 1)[1]
    page = doc_pages(site)["004_21862cf62bd92120"]
    dom = dump_dom(chromium, page.as_uri() + f"#f{seq}", tmp_path)
    m = Marks()
    m.feed(dom)
    assert len(m.marks) == len(figs)
    assert 'data-ready="1"' in dom          # the page's script ran
    # opening a figure's anchor opens its details: value, unit, rule, status
    panel = re.search(r'<aside id="panel"[^>]*class="open"[^>]*>(.*?)</aside>', dom, re.S)
    assert panel, dom[-3000:]
    body = panel[1]
    assert f["unit"] in body and f["rule"] in body and f["status"] in body
    assert report.fmt_value(f["value"]) in body
    assert re.search(rf'<mark class="[^"]*\bcur\b[^"]*" id="f{seq}"', dom)


def test_a_page_with_many_repeated_facts_stays_small(tmp_path, monkeypatch):
    """Links, table rows and details panels are capped per page: the report grows linearly with
    the figures, however often a fact repeats."""
    raw = tmp_path / "raw"
    raw.mkdir()
    text = (RAW / "004_21862cf62bd92120.txt").read_text(encoding="utf-8")
    (raw / "many.txt").write_text(text * 30, encoding="utf-8")
    out = tmp_path / "ds"
    build(raw, out, jobs=1, cache=False)
    monkeypatch.setattr(report, "MAX_LINKS", 5)
    monkeypatch.setattr(report, "MAX_TABLE_ROWS", 50)
    monkeypatch.setattr(report, "MAX_DETAILS", 40)
    report.write_report(out)
    figs = pq.read_table(out / "figures.parquet").to_pylist()
    m = parse(out / "report" / "docs" / "d00000.html")
    assert len(m.marks) == len(figs) > 30 * 100
    data = json.loads(m.data)
    assert len(data) == 40
    assert all(len(d["dups"]) <= 5 for d in data.values())
    assert max(d["n_dups"] for d in data.values()) >= 29
    page = (out / "report" / "docs" / "d00000.html").read_text(encoding="utf-8")
    assert page.count('<tr id="row-f') == 50 and "every figure is highlighted" in page
