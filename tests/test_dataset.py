"""The dataset stage: observations, metrics, data package, `tongji series`, README examples."""
import csv
import datetime as dt
import io
import json
import math
import re
import shutil
import tempfile

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from tongji import cli
from tongji.dataset import finish, observations
from tongji.series import wide
from tongji.tables import arrow_schema, schema_doc, to_table
from conftest import ROOT

Y2016 = dict(period="2016", period_start=dt.date(2016, 1, 1), period_end=dt.date(2016, 12, 31))
Y2021 = dict(period="2021", period_start=dt.date(2021, 1, 1), period_end=dt.date(2021, 12, 31))


def fig(figure_id, value, raw_value, **kw):
    """A figure row: by default 示范区's 2016 GDP in 亿元, published 2017-02-12."""
    doc_id = figure_id.split("#")[0]
    row = dict(doc_id=doc_id, figure_id=figure_id, article=0, start=0, end=1, text=raw_value,
               value=value, unit="CNY", raw_value=raw_value, raw_unit="亿元", rule="test",
               metric_id="gdp", metric_text="生产总值", subject="示范区", measure="level",
               status="actual", context="", published=dt.date(2017, 2, 12), **Y2016)
    row.update(kw)
    return row


def obs_of(rows):
    return observations(to_table("figures", rows)).to_pylist()


# ---------------------------------------------------------------- observations from figures

def test_a_fact_printed_twice_is_one_observation_with_two_sources():
    rows = [fig("p#1", 12.43e9, "124.3"), fig("p#2", 9.9, "9.9", unit="percent", measure="growth"),
            fig("p#86", 12.43e9, "124.3"), fig("p#87", 9.9, "9.9", unit="percent", measure="growth")]
    obs = obs_of(rows)
    assert len(obs) == 2
    growth, level = obs  # sorted by the key: growth before level
    assert (level["value"], level["unit"], level["measure"]) == (12.43e9, "CNY", "level")
    assert level["n_sources"] == 2 and level["figure_ids"] == ["p#1", "p#86"]
    assert level["source_values"] == [12.43e9, 12.43e9] and level["doc_ids"] == ["p"]
    assert level["observation_id"] == "p#1" and not level["conflict"]
    assert (growth["value"], growth["n_sources"], growth["figure_ids"]) == (9.9, 2, ["p#2", "p#87"])
    assert level["period_start"] == dt.date(2016, 1, 1) and level["period"] == "2016"


def test_sources_on_several_pages_are_traced():
    rows = [fig("b#3", 12.43e9, "124.3", published=dt.date(2018, 1, 5)), fig("a#1", 12.43e9, "124.3")]
    [o] = obs_of(rows)
    assert o["figure_ids"] == ["a#1", "b#3"] and o["doc_ids"] == ["a", "b"]
    assert (o["first_published"], o["last_published"]) == (dt.date(2017, 2, 12), dt.date(2018, 1, 5))
    assert o["observation_id"] == "a#1"


def test_rounding_is_not_a_conflict_and_the_most_precise_value_wins():
    rows = [fig("a#1", 12.43e9, "124.3"), fig("b#1", 12.4e9, "124", published=dt.date(2018, 1, 5))]
    [o] = obs_of(rows)
    assert not o["conflict"]
    assert o["value"] == 12.43e9 and o["value_figure_id"] == "a#1"


def test_a_conflict_keeps_every_value_and_the_latest_page_wins():
    rows = [fig("a#1", 12.43e9, "124.3"), fig("a#9", 12.43e9, "124.3"),
            fig("b#1", 12.51e9, "125.1", published=dt.date(2018, 1, 5))]
    [o] = obs_of(rows)
    assert o["conflict"]
    assert o["source_values"] == [12.43e9, 12.43e9, 12.51e9]
    assert o["value"] == 12.51e9 and o["value_figure_id"] == "b#1"
    assert o["n_sources"] == 3


def test_approximate_figures_bound_the_value():
    more = [fig("a#1", 10e9, "100", approx="more_than"), fig("a#2", 12e9, "120")]
    [o] = obs_of(more)
    assert not o["conflict"] and o["value"] == 12e9 and o["approx"] is None
    less = [fig("a#1", 10e9, "100", approx="less_than"), fig("a#2", 12e9, "120")]
    [o] = obs_of(less)
    assert o["conflict"] and o["value"] == 12e9  # the exact figure before the approximate one


def test_figures_without_metric_or_period_are_kept():
    no_metric = dict(metric_id=None, metric_text=None)
    no_period = dict(period=None, period_start=None, period_end=None)
    rows = [fig("a#1", 5, "5", unit="count", **no_metric), fig("a#2", 5, "5", unit="count", **no_metric),
            fig("a#3", 3e9, "30", metric_id=None, metric_text="总投资", subject="某项目", **no_period),
            fig("a#4", 3e9, "30", metric_id=None, metric_text="总投资", subject="某项目", **no_period)]
    obs = obs_of(rows)
    # a figure that names no indicator stands alone; without a period it still merges
    assert sorted(o["figure_ids"] for o in obs) == [["a#1"], ["a#2"], ["a#3", "a#4"]]
    invest = next(o for o in obs if o["metric"] == "总投资")
    assert invest["period_start"] is None and invest["n_sources"] == 2


def test_range_ends_and_ratio_parts_are_separate_observations():
    plan = dict(unit="percent", measure="growth", status="plan", **Y2021)
    rows = [fig("a#1", 6, "6", role="low", group_id="a~1", **plan),
            fig("a#2", 7, "7", role="high", group_id="a~1", **plan),
            fig("a#3", 4.9, "4.9", unit="ratio", measure="ratio", role="part", group_id="a~2"),
            fig("a#4", 45.9, "45.9", unit="ratio", measure="ratio", role="part", group_id="a~2"),
            fig("a#5", 49.1, "49.1", unit="ratio", measure="ratio", role="part", group_id="a~2")]
    obs = {o["component"]: o["value"] for o in obs_of(rows)}
    assert obs == {"low": 6, "high": 7, "part1": 4.9, "part2": 45.9, "part3": 49.1}


def test_observations_do_not_depend_on_figure_order():
    rows = [fig(f"d{i % 3}#{i}", 12.43e9 + (i % 2) * 1e8, "124.3", subject=f"s{i % 4}") for i in range(40)]
    a = observations(to_table("figures", rows))
    b = observations(to_table("figures", rows[::-1]))
    assert a.equals(b)
    assert sum(a["n_sources"].to_pylist()) == 40


def test_no_figures_give_an_empty_table():
    t = observations(to_table("figures", []))
    assert t.num_rows == 0 and t.schema.equals(arrow_schema("observations"))


# ---------------------------------------------------------------- the built dataset

def test_built_tables_have_their_schemas(built):
    for name, schema in [("observations", "observations"), ("metrics", "metrics_table")]:
        t = pq.read_table(built / f"{name}.parquet")
        assert t.schema.equals(arrow_schema(schema), check_metadata=False), name


def test_every_figure_is_in_exactly_one_observation(built):
    figure_ids = pq.read_table(built / "figures.parquet", columns=["figure_id"])["figure_id"].to_pylist()
    obs = pq.read_table(built / "observations.parquet").to_pylist()
    sourced = [i for o in obs for i in o["figure_ids"]]
    assert sorted(sourced) == sorted(figure_ids)
    assert len({o["observation_id"] for o in obs}) == len(obs)
    for o in obs:
        assert o["n_sources"] == len(o["figure_ids"]) == len(o["source_values"])
        assert o["value"] in o["source_values"] and o["value_figure_id"] in o["figure_ids"]
        assert o["doc_ids"] == sorted(set(o["doc_ids"]))


def test_district_gdp_2016_and_its_growth_once_with_two_sources(built):
    obs = pd.read_parquet(built / "observations.parquet")
    gdp = obs[(obs.metric_id == "gdp") & (obs.period == "2016") & (obs.status == "actual")
              & (obs.subject == "示范区")]
    level = gdp[gdp.measure == "level"]
    growth = gdp[gdp.measure == "growth"]
    assert len(level) == 1 and len(growth) == 1, gdp
    assert (level.value.iloc[0], level.unit.iloc[0], level.n_sources.iloc[0]) == (12_430_000_000, "CNY", 2)
    assert (growth.value.iloc[0], growth.unit.iloc[0], growth.n_sources.iloc[0]) == (9.9, "percent", 2)
    assert not level.conflict.iloc[0] and not growth.conflict.iloc[0]


def test_key_project_total_investment_2020(built):
    obs = pd.read_parquet(built / "observations.parquet")
    hit = obs[(obs.value == 96_900_000_000) & (obs.unit == "CNY") & (obs.period == "2020")]
    assert len(hit) == 1, hit
    assert hit.metric_id.iloc[0] == "total_investment" and hit.measure.iloc[0] == "level"


def _norm(v):
    if isinstance(v, (list, tuple, np.ndarray)):
        return tuple(_norm(x) for x in v)
    if isinstance(v, float) and math.isnan(v):
        return None
    if v is pd.NaT:
        return None
    if isinstance(v, (np.bool_, np.integer, np.floating)):
        return v.item()
    return v


def test_pandas_duckdb_and_polars_read_the_same_rows(built):
    path = built / "observations.parquet"
    df = pd.read_parquet(path)
    by_pandas = [tuple(_norm(v) for v in row) for row in df.itertuples(index=False)]
    rel = duckdb.sql(f"SELECT * FROM '{path}'")
    by_duckdb = [tuple(_norm(v) for v in row) for row in rel.fetchall()]
    by_polars = [tuple(_norm(v) for v in row) for row in pl.read_parquet(path).rows()]
    names = [f["name"] for f in schema_doc("observations")["fields"]]
    assert list(df.columns) == rel.columns == pl.read_parquet(path).columns == names
    assert len(by_pandas) > 100
    assert by_pandas == by_duckdb == by_polars


def test_metrics_table_is_the_catalogue(built):
    m = pq.read_table(built / "metrics.parquet").to_pylist()
    ids = [r["id"] for r in m]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) and len(ids) >= 40
    gdp = next(r for r in m if r["id"] == "gdp")
    assert gdp["name"] == "地区生产总值" and gdp["unit"] == "CNY" and gdp["definition"]
    used = set(pq.read_table(built / "observations.parquet")["metric_id"].drop_null().to_pylist())
    assert used <= set(ids)


def test_two_finishes_are_byte_identical(built, tmp_path):
    for d in ("a", "b"):
        shutil.copytree(built, tmp_path / d)
        finish(tmp_path / d)
    for name in ("observations.parquet", "metrics.parquet", "datapackage.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
        assert (tmp_path / "a" / name).read_bytes() == (built / name).read_bytes()


# ---------------------------------------------------------------- data package

def test_datapackage_describes_every_table_and_field(built):
    pkg = json.loads((built / "datapackage.json").read_text(encoding="utf-8"))
    res = {r["name"]: r for r in pkg["resources"]}
    assert list(res) == ["documents", "articles", "figures", "observations", "metrics"]
    for name, schema in [("documents", "documents"), ("articles", "articles"), ("figures", "figures"),
                         ("observations", "observations"), ("metrics", "metrics_table")]:
        assert (built / res[name]["path"]).exists()
        fields = schema_doc(schema)["fields"]
        assert [f["name"] for f in res[name]["schema"]["fields"]] == [f["name"] for f in fields]
        assert all(f["description"] for f in res[name]["schema"]["fields"])
    o = res["observations"]["schema"]
    assert o["observationKey"] == ["subject", "metric", "measure", "unit", "period_start",
                                   "period_end", "status", "component"]
    status = next(f for f in o["fields"] if f["name"] == "status")
    sdmx = {"concept": "OBS_STATUS", "codes": {"actual": "A", "expected": "E", "plan": "F"}}
    assert status["sdmx"] == sdmx
    assert {m["id"]: m["unit"] for m in pkg["metrics"]}["gdp"] == "CNY"
    assert "CNY" in pkg["units"]


def test_frictionless_validates_the_built_package(built):
    from frictionless import validate

    report = validate(built / "datapackage.json")
    assert report.valid, report.flatten(["name", "rowNumber", "fieldName", "type", "note"])[:20]


def test_frictionless_catches_a_broken_package(built, tmp_path):
    from frictionless import validate

    d = tmp_path / "broken"
    shutil.copytree(built, d)
    docs = pq.read_table(d / "documents.parquet")
    pq.write_table(docs.slice(1), d / "documents.parquet")  # figures now point to a missing page
    report = validate(d / "datapackage.json")
    assert not report.valid
    assert "foreign-key" in {e[0] for e in report.flatten(["type"])}


# ---------------------------------------------------------------- tongji series

def _obs_table(rows):
    return observations(to_table("figures", rows)).to_pandas()


def test_series_is_metric_by_period():
    rows = [fig("a#1", 12.43e9, "124.3"), fig("a#2", 9.9, "9.9", unit="percent", measure="growth"),
            fig("b#1", 13.5e9, "135", **Y2021), fig("b#2", 14e9, "140", **Y2021),
            fig("c#1", 7, "7", metric_id=None, metric_text=None)]  # no metric: not in the table
    t = wide(_obs_table(rows), marks=True)
    assert list(t.columns) == ["subject", "metric", "measure", "unit", "status", "2016", "2021"]
    level = t[t.measure == "level"].iloc[0]
    assert (level["2016"], level["2021"]) == ("12430000000", "13500000000*")
    assert t[t.measure == "growth"].iloc[0]["2021"] == ""
    assert wide(_obs_table(rows), subject="焦作市").empty
    metrics = pd.DataFrame([{"id": "gdp", "name": "地区生产总值", "aliases": ["生产总值", "GDP"]}])
    t = wide(_obs_table(rows), metrics, metric="GDP")
    assert len(t) == 2 and set(t.metric) == {"地区生产总值"}


def test_series_command_prints_csv_and_table(built, capsys):
    assert cli.main(["series", str(built), "--metric", "gdp", "--subject", "示范区", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    level = next(r for r in rows if r["measure"] == "level" and r["status"] == "actual")
    assert level["2016"] == "12430000000" and level["unit"] == "CNY"
    assert cli.main(["series", str(built)]) == 0
    out = capsys.readouterr().out
    assert "12430000000" in out and "2016" in out.splitlines()[0]
    assert cli.main(["series", str(built), "--metric", "no-such-metric"]) == 1


# ---------------------------------------------------------------- README

def _section():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.search(r"<!-- section:dataset -->(.*?)<!-- /section:dataset -->", text, re.S).group(1)


def _blocks(lang):
    return re.findall(rf"```{lang}\n(.*?)```", _section(), re.S)


def test_readme_lists_every_column(built):
    section = _section()
    for schema in ("documents", "articles", "figures", "observations", "metrics_table"):
        for f in schema_doc(schema)["fields"]:
            assert re.search(rf"\b{f['name']}\b", section), (schema, f["name"])


def test_readme_examples_run(built, tmp_path, monkeypatch, capsys):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "dataset").symlink_to(built)
    monkeypatch.chdir(tmp_path)
    python, sql, sh = _blocks("python"), _blocks("sql"), _blocks("sh")
    assert len(python) >= 2 and len(sql) >= 1 and len(sh) >= 1

    for block in sh:
        for line in block.splitlines():
            assert line.startswith("tongji "), line
            assert cli.main(line.split()[1:]) == 0, line
            assert "12430000000" in capsys.readouterr().out

    pandas_ns, polars_ns = {}, {}
    exec(python[0], pandas_ns)
    gdp = pandas_ns["gdp"]
    assert 12_430_000_000 in gdp[gdp.period == "2016"].value.tolist()
    exec(python[1], polars_ns)
    growth = polars_ns["growth"].filter(pl.col("metric") == "gdp", pl.col("period") == "2016")
    assert growth["value"].to_list() == [9.9]

    pivot = duckdb.sql(sql[0]).df()
    level = pivot[(pivot.subject == "示范区") & (pivot.measure == "level")]
    assert level["2016"].tolist() == [12_430_000_000]


def test_observations_made_part_by_part_are_the_same(built, tmp_path, monkeypatch):
    """Large inputs are split by (subject, metric) into parts of bounded size; the table does
    not depend on how many parts there are."""
    import shutil

    import tongji.dataset as dataset
    from tongji.engine import InlineEngine

    whole, parts = tmp_path / "whole", tmp_path / "parts"
    for d in (whole, parts):
        d.mkdir()
        shutil.copy(built / "figures.parquet", d)
    dataset.finish(whole)
    monkeypatch.setattr(dataset, "BUCKET_ROWS", 25)
    with tempfile.TemporaryDirectory(dir=parts) as tmp:
        pieces = [dataset._read_part(p) for p in dataset._parts(parts / "figures.parquet", InlineEngine(), tmp)]
    assert len(pieces) > 5 and max(p.num_rows for p in pieces) <= 25 + 20
    want = pq.read_table(parts / "figures.parquet", columns=dataset.FIGURE_COLUMNS,
                         read_dictionary=dataset.DICTIONARY_COLUMNS)
    assert all(p.schema == want.schema for p in pieces)
    got = pa.concat_tables(p.cast(want.schema) for p in pieces)
    assert sorted(got["figure_id"].to_pylist()) == sorted(want["figure_id"].to_pylist())
    dataset.finish(parts)
    assert (whole / "observations.parquet").read_bytes() == (parts / "observations.parquet").read_bytes()
    assert not [p for p in parts.iterdir() if p.name.startswith(".parts-")]


def test_observations_made_by_worker_processes_are_the_same(built, tmp_path, monkeypatch):
    """With a pool of workers (a build with --jobs 2), the figures are counted, split and
    observed there, in smaller parts: the same table."""
    import tongji.dataset as dataset
    from tongji.engine import LocalEngine

    whole, pooled = tmp_path / "whole", tmp_path / "pooled"
    figures = pq.read_table(built / "figures.parquet")
    for d in (whole, pooled):
        d.mkdir()
        pq.write_table(figures, d / "figures.parquet", row_group_size=40)  # a run of them per worker
    dataset.finish(whole)
    monkeypatch.setattr(dataset, "BUCKET_ROWS", 100)  # parts of 25 figures for 2 workers
    with LocalEngine(2) as eng:
        with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
            parts = dataset._parts(pooled / "figures.parquet", eng, tmp)
            assert len(parts) > 5 and len({spill for _, sources, _ in parts for spill, _ in sources}) == 2
        dataset.finish(pooled, engine=eng)
    assert (whole / "observations.parquet").read_bytes() == (pooled / "observations.parquet").read_bytes()
    assert not [p for p in pooled.iterdir() if p.name.startswith(".parts-")]
