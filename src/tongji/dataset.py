"""Dataset tables derived from the figures: observations, metrics, data package.

An observation is one fact: who (subject), which indicator (metric), which measure, unit,
period and status. Every figure that states the fact is a source of the observation; the
observation keeps the value of each source, says when they disagree beyond rounding, and
picks one value by a fixed rule (see ``observations``).
"""
from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from .output import write_parquet, write_text
from .tables import arrow_schema, schema_doc

# Schema names (schemas/NAME.json) of the tables of a dataset, in data package order.
TABLES = ["documents", "articles", "figures", "observations", "metrics_table"]

# The observation key; `metric` is metric_id when catalogued, else metric_text.
KEY = schema_doc("observations")["observation_key"]

# status -> SDMX OBS_STATUS code (A normal value, E estimated value, F forecast value).
OBS_STATUS = {"actual": "A", "expected": "E", "plan": "F"}

UNITS = {
    "CNY": "yuan (元); 万元 and 亿元 are converted", "USD": "US dollar", "EUR": "euro",
    "HKD": "Hong Kong dollar", "percent": "per cent", "permille": "per mille",
    "percentage_point": "percentage point", "times": "multiple (倍)",
    "ratio": "part of a ratio (4.9:45.9:49.1)", "rank": "rank, 1 is first", "count": "number of things (counted names them)",
    "m": "metre; 公里 is converted", "m2": "square metre; 亩, 公顷 and 平方公里 are converted",
    "m3": "cubic metre", "kg": "kilogram; 吨 and 斤 are converted", "kWh": "kilowatt hour (度)",
    "day": "day", "year": "year", "hour": "hour",
}

# Foreign keys of the data package: table -> [(fields, referenced table, referenced fields)].
FOREIGN_KEYS = {
    "articles": [(["doc_id"], "documents", ["doc_id"])],
    "figures": [(["doc_id"], "documents", ["doc_id"]),
                (["doc_id", "article"], "articles", ["doc_id", "article"]),
                (["metric_id"], "metrics", ["id"])],
    "observations": [(["observation_id"], "figures", ["figure_id"]),
                     (["value_figure_id"], "figures", ["figure_id"]),
                     (["metric_id"], "metrics", ["id"])],
}

FIGURE_COLUMNS = ["doc_id", "figure_id", "value", "unit", "raw_value", "approx", "group_id",
                  "role", "metric_id", "metric_text", "subject", "measure", "period",
                  "period_start", "period_end", "status", "published"]


def finish(out_dir: Path) -> dict:
    """Derive the analysis tables from the figures and documents already written to out_dir.
    Returns counts for the build summary."""
    out_dir = Path(out_dir)
    obs = observations(pq.read_table(out_dir / "figures.parquet", columns=FIGURE_COLUMNS))
    write_parquet(obs, out_dir / "observations.parquet")
    metrics = metrics_table()
    write_parquet(metrics, out_dir / "metrics.parquet")
    write_text(datapackage(metrics.to_pylist()), out_dir / "datapackage.json")
    return {"observations": obs.num_rows, "conflicts": pa.compute.sum(obs["conflict"]).as_py() or 0,
            "metrics": metrics.num_rows}


# ---------------------------------------------------------------- observations

def observations(figures: pa.Table) -> pa.Table:
    """Figures (columns FIGURE_COLUMNS) to observations, sorted by the key.

    Figures with the same key are one observation; a figure with neither metric_id nor
    metric_text stands alone. Sources conflict when no number lies within the interval each
    allows (its value ± half a unit of its last printed digit, open-ended for 余/以上/不到).
    The value is the first source by, in order: an exact figure before an approximate one;
    when the sources conflict, the latest published (a later page revises an earlier one);
    the most precisely printed (124.3亿 before 124亿); the latest published; the value most
    sources give; the first source (doc_id, then position on the page).
    """
    f = figures.select(FIGURE_COLUMNS).to_pandas()
    f["position"] = f["figure_id"].str.rsplit("#", n=1).str[-1].astype("int64")
    f = f.sort_values(["doc_id", "position"], kind="stable", ignore_index=True)
    f["metric"] = f["metric_id"].fillna(f["metric_text"])
    f["component"] = _component(f)
    f["alone"] = f["figure_id"].where(f["metric"].isna())
    f["half"], f["low"], f["high"] = _bounds(f)
    # observations numbered in order of their first source
    f["obs"] = f.groupby(KEY + ["alone"], dropna=False, sort=False).ngroup()

    # every source, in source order
    sources = pa.Table.from_pandas(f[["obs", "figure_id", "value", "doc_id", "published", "low", "high"]],
                                   preserve_index=False)
    agg = sources.group_by("obs", use_threads=False).aggregate([
        ("figure_id", "list"), ("value", "list"), ("doc_id", "distinct"), ("figure_id", "count"),
        ("published", "min"), ("published", "max"), ("low", "max"), ("high", "min"),
    ]).sort_by("obs")
    low_max, high_min = agg["low_max"].to_numpy(), agg["high_min"].to_numpy()
    conflict = low_max > high_min + 1e-9 * np.maximum(1.0, np.abs(high_min))

    # the source that gives the value
    f["exact"] = f["approx"].isna()
    f["pub"] = pd.to_datetime(f["published"])
    f["revised"] = f["pub"].where(conflict[f["obs"].to_numpy()])
    f["n_same"] = f.groupby(["obs", "value"])["value"].transform("size")
    f["seq"] = np.arange(len(f))
    ranked = f.sort_values(["obs", "exact", "revised", "half", "pub", "n_same", "seq"],
                           ascending=[True, False, False, True, False, False, True], na_position="last")
    chosen = ranked.drop_duplicates("obs")
    first = f.drop_duplicates("obs")

    schema = arrow_schema("observations")
    cols = {name: chosen[name] for name in
            ["subject", "metric", "metric_id", "metric_text", "measure", "unit", "period",
             "period_start", "period_end", "status", "component", "value", "approx"]}
    cols["observation_id"] = first["figure_id"]
    cols["value_figure_id"] = chosen["figure_id"]
    arrays = {name: pa.array(col, type=schema.field(name).type, from_pandas=True)
              for name, col in cols.items()}
    arrays.update({
        "conflict": pa.array(conflict, pa.bool_()), "n_sources": agg["figure_id_count"].cast(pa.int32()),
        "source_values": agg["value_list"], "figure_ids": agg["figure_id_list"],
        "doc_ids": agg["doc_id_distinct"].cast(pa.list_(pa.string())),
        "first_published": agg["published_min"], "last_published": agg["published_max"],
        "order": pa.array(np.arange(len(chosen))),
    })
    # nulls sort last
    table = pa.table(arrays).sort_by([(k, "ascending") for k in KEY] + [("order", "ascending")])
    return pa.Table.from_arrays([table[n].combine_chunks() for n in schema.names], schema=schema)


def _component(f: pd.DataFrame) -> pd.Series:
    """low/high for the ends of a range, part1, part2, ... for the parts of a ratio."""
    comp = f["role"].where(f["role"].isin(["low", "high"])).astype(object)
    parts = f["role"] == "part"
    if parts.any():
        n = f[parts].groupby("group_id", dropna=False).cumcount() + 1
        comp[parts] = "part" + n.astype(str)
    return comp


def _bounds(f: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Half a unit of the last printed digit (124.3亿元: 0.05亿), and the interval the figure
    allows: value ± that half, open upwards in magnitude for 余/以上 (more_than, at_least),
    downwards for 不到/以下 (less_than, at_most). Numbers written in words count as exact."""
    digits = f["raw_value"].astype(object).str.replace(r"[,，\s]", "", regex=True)
    m = digits.str.extract(r"^([0-9]+(?:\.([0-9]*))?)$")
    printed = pd.to_numeric(m[0], errors="coerce")
    decimals = m[1].str.len().fillna(0).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = 0.5 * 10.0 ** -decimals * (f["value"] / printed).abs()
    half = half.where(np.isfinite(half), 0.0)
    low, high = f["value"] - half, f["value"] + half
    up = f["approx"].isin(["more_than", "at_least"])
    down = f["approx"].isin(["less_than", "at_most"])
    neg = f["value"] < 0
    high = high.mask((up & ~neg) | (down & neg), np.inf)
    low = low.mask((up & neg) | (down & ~neg), -np.inf)
    return half, low, high


# ---------------------------------------------------------------- metrics

def catalogue() -> list[dict]:
    """The entries of schemas/metrics.yaml (empty when there is none yet)."""
    try:
        text = resources.files("tongji").joinpath("schemas/metrics.yaml").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return []
    return list((yaml.safe_load(text) or {}).get("metrics") or [])


def metrics_table() -> pa.Table:
    """The catalogue as a table, sorted by id."""
    def text(v):
        return None if v is None else str(v)

    def flow(v):
        return v if isinstance(v, bool) or v is None else {"flow": True, "stock": False}.get(str(v).lower())

    rows = [{"id": str(m["id"]), "name": str(m.get("name") or m["id"]),
             "aliases": [str(a) for a in (m.get("aliases") or [])],
             "label": text(m.get("label")), "dimension": text(m.get("dimension")),
             "unit": text(m.get("unit")), "definition": text(m.get("definition")),
             "flow": flow(m.get("flow"))} for m in catalogue()]
    rows.sort(key=lambda r: r["id"])
    schema = arrow_schema("metrics_table")
    return pa.Table.from_pylist(rows, schema=schema)


# ---------------------------------------------------------------- data package

_FD_TYPES = {"string": "string", "int32": "integer", "int64": "integer", "float64": "number",
             "date32": "date", "bool": "boolean", "list<string>": "any", "list<float64>": "any"}


def _field(table: str, f: dict) -> dict:
    out = {"name": f["name"], "type": _FD_TYPES[f["type"]], "description": f["description"],
           "parquetType": f["type"]}
    if f["type"].startswith("list<"):
        # Parquet lists reach frictionless as arrays it does not read as "array"
        out["description"] += f" (Parquet {f['type']})"
    constraints = {}
    if not f["nullable"]:
        constraints["required"] = True
    if "enum" in f:
        constraints["enum"] = f["enum"]
    if constraints:
        out["constraints"] = constraints
    if f["name"] == "status" and table in ("figures", "observations"):
        out["sdmx"] = {"concept": "OBS_STATUS", "codes": OBS_STATUS}
    if f["name"] == "value" and table in ("figures", "observations"):
        out["unitField"] = "unit"
    return out


def _resource(name: str) -> dict:
    doc = schema_doc(name)
    table = doc["name"]
    # Parquet has real nulls: an empty string is a value, not a missing one
    schema = {"fields": [_field(table, f) for f in doc["fields"]], "missingValues": [],
              "primaryKey": doc["primary_key"]}
    fks = FOREIGN_KEYS.get(table)
    if fks:
        schema["foreignKeys"] = [{"fields": a, "reference": {"resource": r, "fields": b}}
                                 for a, r, b in fks]
    if "observation_key" in doc:
        schema["observationKey"] = doc["observation_key"]
    return {"name": table, "path": f"{table}.parquet", "format": "parquet",
            "mediatype": "application/vnd.apache.parquet", "description": doc["description"],
            "schema": schema}


def datapackage(metrics: list[dict]) -> str:
    """datapackage.json (Frictionless Data Package) for the tables of schemas/."""
    pkg = {
        "name": "tongji",
        "title": "Economic figures from Chinese regional news pages",
        "description": (
            "Figures extracted from pages (figures), merged into observations keyed by "
            + ", ".join(KEY) + " (observations), with the pages (documents), their articles "
            "(articles) and the metric catalogue (metrics). status maps to SDMX OBS_STATUS: "
            + ", ".join(f"{k} -> {v}" for k, v in OBS_STATUS.items()) + "."),
        "resources": [_resource(n) for n in TABLES],
        "units": UNITS,
        "metrics": [{k: m[k] for k in ("id", "name", "label", "unit", "definition")} for m in metrics],
    }
    return json.dumps(pkg, ensure_ascii=False, indent=2) + "\n"
