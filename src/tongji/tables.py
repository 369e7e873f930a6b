"""Tables: records of the pipeline to Arrow tables with the schemas of ``schemas/``."""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import pyarrow as pa
import pyarrow.compute as pc

_TYPES = {
    "string": pa.string(), "int32": pa.int32(), "int64": pa.int64(), "float64": pa.float64(),
    "date32": pa.date32(), "bool": pa.bool_(), "list<string>": pa.list_(pa.string()),
    "list<float64>": pa.list_(pa.float64()),
}


@lru_cache(maxsize=None)
def schema_doc(name: str) -> dict:
    """The JSON description of a table (shipped with the package, same as ``schemas/``)."""
    text = resources.files("tongji").joinpath(f"schemas/{name}.json").read_text(encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=None)
def arrow_schema(name: str) -> pa.Schema:
    doc = schema_doc(name)
    fields = [pa.field(f["name"], _TYPES[f["type"]], nullable=f["nullable"],
                       metadata={"description": f["description"]}) for f in doc["fields"]]
    return pa.schema(fields, metadata={"description": doc["description"]})


def to_table(name: str, rows: list[dict]) -> pa.Table:
    """Rows (dicts; a missing key is null) as a table of the named schema."""
    return pa.Table.from_pylist(rows, schema=arrow_schema(name))


def figure_row(doc_id: str, seq: int, f, published) -> dict:
    return {
        "doc_id": doc_id, "figure_id": f"{doc_id}#{seq}", "article": f.article,
        "start": f.start, "end": f.end, "text": f.text, "value": f.value, "unit": f.unit,
        "raw_value": f.raw_value, "raw_unit": f.raw_unit, "approx": f.approx,
        "counted": f.counted, "group_id": f"{doc_id}~{f.group}" if f.group is not None else None,
        "role": f.role, "rule": f.rule, "metric_id": f.metric_id, "metric_text": f.metric_text,
        "subject": f.subject, "measure": f.measure or "level", "period": f.period,
        "period_start": f.period_start, "period_end": f.period_end,
        "status": f.status or "actual", "context": f.context, "published": published,
    }


def source_order(figures: pa.Table) -> pa.Array:
    """Indices that put figures in source order: by doc_id, then by their number on the page
    (the n of figure_id doc#n; 0 when it has none)."""
    n = pc.struct_field(pc.extract_regex(figures["figure_id"], r"#(?P<n>[0-9]+)$"), "n")
    by_source = pa.table({"doc": figures["doc_id"].cast(pa.string()),
                          "n": pc.fill_null(pc.cast(n, pa.int64()), 0)})
    return pc.sort_indices(by_source, [("doc", "ascending"), ("n", "ascending")])
