"""The public API and the small commands: tongji.extract, tongji extract, tongji eval."""
import datetime as dt
import json
import math

import pytest

import tongji
from tongji.cli import main
from tongji.evaluate import load_gold, score
from conftest import RAW


def test_extract_returns_typed_records_with_meaning():
    text = "2016年，全区生产总值124.3亿元，比上年增长9.9%。"
    figs = tongji.extract(text, published=dt.date(2017, 2, 12), place="示范区")
    assert [f.text for f in figs] == ["124.3亿元", "9.9%"]
    gdp, growth = figs
    assert isinstance(gdp, tongji.Figure)
    assert (gdp.value, gdp.unit, gdp.measure, gdp.period, gdp.status) == (12430000000.0, "CNY", "level", "2016", "actual")
    assert gdp.metric_id == "gdp" and gdp.metric_text == "生产总值" and gdp.subject == "示范区"
    assert (growth.value, growth.unit, growth.measure, growth.metric_id) == (9.9, "percent", "growth", "gdp")
    assert text[gdp.start:gdp.end] == gdp.text


def test_values_are_exact():
    (f,) = tongji.extract("总投资130.23亿元")
    assert f.value == 13023000000.0
    (f,) = tongji.extract("转用征收农用地1.2万余亩")
    assert f.value == 8000000.0 and f.unit == "m2" and f.approx == "more_than"


def test_published_accepts_a_string_and_resolves_relative_years():
    (f,) = tongji.extract("去年全县粮食总产量41.2万吨。", published="2021-03-01")
    assert f.period == "2020" and f.value == 412000000.0 and f.unit == "kg"
    assert f.subject == "全县"  # no place given or named: the word the page uses


@pytest.mark.parametrize("junk", ["", "\x00\x01", "亿" * 1000, "1" * 5000, "%%%", "第第第", "\n\n\n"])
def test_extract_never_raises_on_junk(junk):
    for f in tongji.extract(junk):
        assert junk[f.start:f.end] == f.text and math.isfinite(f.value)


def test_cli_extract_prints_json_lines(tmp_path, capsys):
    p = tmp_path / "page.txt"
    p.write_text("全区生产总值 124.3 亿元，比上年增长9.9%。", encoding="utf-8")
    assert main(["extract", str(p), "--published", "2017-02-12"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(r["text"], r["value"], r["unit"]) for r in rows] == [("124.3 亿元", 12430000000.0, "CNY"), ("9.9%", 9.9, "percent")]
    assert rows[0]["doc_id"] == "page" and rows[0]["period"] == "2017"


def _gold_line(doc, raw, figure, value, unit, core=True, **kw):
    start = raw.index(figure)
    rec = {"doc": doc, "figure": figure, "value": value, "unit": unit, "core": core,
           "context": figure, "start": start, "end": start + len(figure)}
    rec.update(kw)
    return json.dumps(rec, ensure_ascii=False)


def test_eval_scores_a_gold_folder(tmp_path, built, capsys):
    doc = "004_21862cf62bd92120"
    raw = (RAW / f"{doc}.txt").read_text(encoding="utf-8")
    gold = tmp_path / "gold"
    gold.mkdir()
    lines = [
        _gold_line(doc, raw, "9.9%", 9.9, "percent", measure="growth", period="2016", status="actual",
                   subject="示范区", metric="生产总值"),
        _gold_line(doc, raw, "1455亩", 1455, "mu", measure="level", period="2016", status="actual",
                   subject="示范区", metric="无公害农产品基地"),
        _gold_line(doc, raw, "1455亩", 999, "mu"),  # a wrong gold value: one miss
    ]
    (gold / f"{doc}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = score(load_gold(gold), [dict(r, doc=r["doc_id"], _bounds=(str(r["period_start"]), str(r["period_end"])))
                                   for r in __import__("pyarrow.parquet", fromlist=["x"]).read_table(
                                       built / "figures.parquet").to_pylist()])
    assert res["tp"] == 2 and res["fn"] == 1
    assert res["fields"]["measure"] == 1.0 and res["fields"]["period"] == 1.0
    assert main(["eval", str(gold), "--figures", str(built / "figures.parquet"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["tp"] == 2 and out["fn"] == 1 and out["exact_values"] == 1.0


def test_readme_python_example_prints_what_it_says():
    import contextlib
    import io
    import re

    from conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Use it from Python", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    expected = [line[2:] for line in code.splitlines() if line.startswith("# ")]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README", "exec"), {})
    assert out.getvalue().splitlines() == expected


def test_eval_compares_values_exactly_across_units():
    from tongji.evaluate import _base

    assert _base("km2", 8.3) == _base("m2", 8300000.0)  # 8.3 * 1e6 in floats is 8300000.000000001
    assert _base("mu", 3200) == _base("m2", 6400000 / 3)
