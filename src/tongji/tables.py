"""Tables: records of the pipeline to Arrow tables with the schemas of ``schemas/``."""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import numpy as np
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


def columns_table(name: str, blocks: list[dict[str, list]]) -> pa.Table:
    """Blocks of columns (each a dict of the schema's column names to equal-length lists, as
    ``figure_columns`` makes) joined one after another as a table of the named schema.

    A column is converted to Arrow in one call with its type: half the cost of ``to_table``
    on the dicts of the same rows, which converts cell by cell."""
    schema = arrow_schema(name)
    arrays = []
    for f in schema:
        values: list = []
        for b in blocks:
            values += b[f.name]
        arrays.append(pa.array(values, type=f.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def rows(columns: dict[str, list]) -> list[dict]:
    """A block of columns as rows (dicts)."""
    names = list(columns)
    return [dict(zip(names, r)) for r in zip(*columns.values())]


def figure_columns(doc_id: str, figs: list, published, first: int = 1) -> dict[str, list]:
    """The figures rows of one page's figures (numbered from ``first`` in figure_id), as
    columns: a dict of lists in the order of the schema's fields."""
    n = len(figs)
    return {
        "doc_id": [doc_id] * n,
        "figure_id": [f"{doc_id}#{i}" for i in range(first, first + n)],
        "article": [f.article for f in figs],
        "start": [f.start for f in figs],
        "end": [f.end for f in figs],
        "text": [f.text for f in figs],
        "value": [f.value for f in figs],
        "unit": [f.unit for f in figs],
        "raw_value": [f.raw_value for f in figs],
        "raw_unit": [f.raw_unit for f in figs],
        "approx": [f.approx for f in figs],
        "counted": [f.counted for f in figs],
        "group_id": [f"{doc_id}~{f.group}" if f.group is not None else None for f in figs],
        "role": [f.role for f in figs],
        "rule": [f.rule for f in figs],
        "metric_id": [f.metric_id for f in figs],
        "metric_text": [f.metric_text for f in figs],
        "subject": [f.subject for f in figs],
        "measure": [f.measure or "level" for f in figs],
        "period": [f.period for f in figs],
        "period_start": [f.period_start for f in figs],
        "period_end": [f.period_end for f in figs],
        "status": [f.status or "actual" for f in figs],
        "context": [f.context for f in figs],
        "published": [published] * n,
    }


def figure_row(doc_id: str, seq: int, f, published) -> dict:
    """The figures row of one figure, number ``seq`` of its page."""
    return rows(figure_columns(doc_id, [f], published, first=seq))[0]


def article_columns(doc_id: str, arts: list) -> dict[str, list]:
    """The articles rows of one page's articles, as columns."""
    return {
        "doc_id": [doc_id] * len(arts),
        "article": [a.index for a in arts],
        "start": [a.start for a in arts],
        "end": [a.end for a in arts],
        "title": [a.title or None for a in arts],
    }


def one_dictionary(col) -> pa.Array:
    """A column in one chunk (a dictionary column with one dictionary of distinct values)."""
    if isinstance(col, pa.ChunkedArray):
        col = (col.unify_dictionaries() if pa.types.is_dictionary(col.type) else col).combine_chunks()
    return col


def encoded(col) -> pa.DictionaryArray:
    """A column in one chunk, dictionary-encoded (as it is when it already was)."""
    col = one_dictionary(col)
    return col if pa.types.is_dictionary(col.type) else pc.dictionary_encode(col)


def sort_ranks(col) -> np.ndarray:
    """The rank of each value in ascending order (equal values share one, nulls last): what
    sorting by the column compares, as integers, ranked on its dictionary."""
    col = encoded(col)
    # equal strings share a rank even if the dictionary holds one twice
    ranks = pc.rank(col.dictionary, sort_keys="ascending", tiebreaker="dense").to_numpy()
    ranks = np.r_[ranks, len(ranks) + 1]  # null last
    return ranks[col.indices.fill_null(len(col.dictionary)).to_numpy()]


def source_order(figures: pa.Table) -> pa.Array:
    """Indices that put figures in source order: by doc_id, then by their number on the page
    (the n of figure_id doc#n; 0 when it has none). A stable sort, nulls of doc_id last.

    The doc_ids are ranked once per page (their dictionary), not compared row by row, and
    the numbers read from the last bytes of each figure_id: a quarter of the cost of sorting
    the strings and extracting the numbers with a regex."""
    if figures.num_rows == 0:
        return pa.array([], pa.uint64())
    doc_rank = sort_ranks(figures["doc_id"])
    n = _page_numbers(figures["figure_id"])
    if n is None:  # numbers too long for int64: as the regex reads them (and fails)
        n = pc.struct_field(pc.extract_regex(figures["figure_id"], r"#(?P<n>[0-9]+)$"), "n")
        n = pc.fill_null(pc.cast(n, pa.int64()), 0).to_numpy()
    top = int(n.max(initial=0)) + 1
    if (int(doc_rank.max()) + 1) * top < 2**63:  # one key: a stable sort of mostly sorted rows is fast
        order = np.argsort(doc_rank * top + n, kind="stable")
    else:
        order = np.lexsort([n, doc_rank])
    return pa.array(order.astype(np.uint64))


def _page_numbers(ids) -> np.ndarray | None:
    """The n of each figure_id ending in #n (digits 0-9), 0 for the others (what
    ``#([0-9]+)$`` extracts); None when an n has more than 18 digits. Read from the end of
    each string, one byte position at a time for all of them."""
    ids = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    if ids.type != pa.string():
        ids = ids.cast(pa.string())
    size = len(ids)
    _, offsets, data = ids.buffers()
    offsets = np.frombuffer(offsets, dtype=np.int32)[ids.offset:ids.offset + size + 1]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    starts, ends = offsets[:-1], offsets[1:]
    n = np.zeros(size, dtype=np.int64)
    found = np.zeros(size, dtype=bool)  # a '#' just before the digits
    running = ends > starts  # still reading digits
    if ids.null_count:
        running &= ids.is_valid().to_numpy(zero_copy_only=False)
    back, scale = 1, 1
    while running.any():
        byte = data[np.where(running, ends - back, 0)]
        digit = running & (byte >= 48) & (byte <= 57)
        if back > 1:
            found |= running & ~digit & (byte == 35)
        if back > 18 and digit.any():
            return None
        n += np.where(digit, byte - 48, 0).astype(np.int64) * scale
        running = digit & (ends - back > starts)
        back, scale = back + 1, scale * 10
    n[~found] = 0
    return n
