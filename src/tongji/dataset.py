"""Dataset tables derived from the figures: observations, metrics, data package.

An observation is one fact: who (subject), which indicator (metric), which measure, unit,
period and status. Every figure that states the fact is a source of the observation; the
observation keeps the value of each source, says when they disagree beyond rounding, and
picks one value by a fixed rule (see ``observations``).
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .datafiles import read_yaml
from .output import TableWriter, release_memory, write_parquet, write_text
from .tables import arrow_schema, encoded, one_dictionary, schema_doc, sort_ranks, source_order, to_table

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
    "ratio": "part of a ratio (4.9:45.9:49.1)", "rank": "rank, 1 is first",
    "count": "number of things (figures.counted names them)",
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

# read as dictionaries: few distinct values, much less memory
DICTIONARY_COLUMNS = ["doc_id", "unit", "approx", "group_id", "role", "metric_id", "metric_text",
                      "subject", "measure", "period", "status"]
FIGURE_COLUMNS = ["doc_id", "figure_id", "value", "unit", "raw_value", "approx", "group_id",
                  "role", "metric_id", "metric_text", "subject", "measure", "period",
                  "period_start", "period_end", "status", "published"]


# rows per row group of observations.parquet: an observation lists the ids, values and pages
# of all its sources (7 a row on the 200 MB bench corpus, 12 on 1 GB: more as the corpus
# grows), so a row group of output.ROW_GROUP_ROWS of them took the build process 100 MB and
# more to write, and more on a larger corpus
OBSERVATION_ROWS = 8_192

# figures per part when observations are made part by part (bounded memory: about 300 MB;
# with a pool of workers each holds a part at a time, in parts of BUCKET_ROWS / (2 x workers))
BUCKET_ROWS = 300_000


def finish(out_dir: Path, stage=None, figures_path: Path | None = None, engine=None) -> int:
    """Derive the analysis tables from the figures written to out_dir (or to figures_path,
    not yet in place). With a ``output.Stage`` the tables join it, to be renamed into place
    with the others. Returns the number of observations, for the build summary.

    Observations are made part by part: the figures are split by (subject, metric) into
    parts of at most BUCKET_ROWS figures, consecutive in the observations' sort order, so
    memory stays bounded and the table is the same whatever the number of parts.

    engine: a ``tongji.engine.Engine`` whose workers see this machine's files (a build's
    pool of local processes): the counting, the splitting and the observations of the parts
    run there, in parallel; without one, here. The table is the same."""
    from .engine import InlineEngine

    engine = engine or InlineEngine()
    out_dir = Path(out_dir)
    source = Path(figures_path or out_dir / "figures.parquet")
    writer = TableWriter("observations", out_dir / "observations.parquet", rows=OBSERVATION_ROWS, stage=stage)
    n_obs = 0
    try:
        with tempfile.TemporaryDirectory(prefix=".parts-", dir=source.parent) as tmp:
            for obs in engine.imap(_observe_part, _parts(source, engine, tmp)):
                writer.add(obs)
                n_obs += obs.num_rows
                obs = None
                release_memory()
        writer.close()
    except BaseException:
        writer.abort()
        raise
    metrics = metrics_table()
    write_parquet(metrics, out_dir / "metrics.parquet", stage)
    write_text(datapackage(metrics.to_pylist()), out_dir / "datapackage.json", stage)
    return n_obs


_LAST = "\U0010ffff"  # stands for null: sorts after every string, as nulls do


def _pairs(t: pa.Table) -> pa.Table:
    """(subject, metric) of each figure, as strings (null as _LAST, so that keys join)."""
    metric = pc.coalesce(t["metric_id"].cast(pa.string()), t["metric_text"].cast(pa.string()), _LAST)
    return pa.table({"subject": pc.coalesce(t["subject"].cast(pa.string()), _LAST), "metric": metric})


_PAIR_COLUMNS = ["subject", "metric_id", "metric_text"]


def _distinct_pairs(rg: pa.Table) -> tuple[np.ndarray, pa.Table]:
    """The figures of a row group (read as dictionaries) by their (subject, metric_id,
    metric_text): the id of each figure's combination, and the ``_pairs`` of each
    combination in id order. The strings are made once per combination, not per figure."""
    ids = _group_ids([rg[c] for c in _PAIR_COLUMNS])
    # the first figure of each: ids are numbered in order of first appearance
    heads = np.flatnonzero(np.r_[True, ids[1:] > np.maximum.accumulate(ids)[:-1]]) if len(ids) else ids
    return ids, _pairs(rg.select(_PAIR_COLUMNS).take(heads))


def _parts(path: Path, engine, tmp: str) -> list[tuple]:
    """The parts of the figures of a figures.parquet, each as an item for ``_read_part``: at
    most BUCKET_ROWS figures (BUCKET_ROWS / (2 x workers) with a pool), one part per run of
    (subject, metric) keys in sort order (a single key larger than that is one part), the
    batches of the part in the temporary files written to tmp, which must outlive them. The
    work runs on the engine: the row groups are cut into one run per worker, counted and
    split there."""
    pf = pq.ParquetFile(path, read_dictionary=DICTIONARY_COLUMNS)
    rows = BUCKET_ROWS if engine.workers == 1 else max(1, BUCKET_ROWS // (2 * engine.workers))
    if pf.metadata.num_rows <= rows:
        return [(str(path), [], None)]  # the whole file
    n = pf.num_row_groups
    ranges = [(n * i // engine.workers, n * (i + 1) // engine.workers) for i in range(engine.workers)]
    ranges = [(lo, hi) for lo, hi in ranges if hi > lo]
    # 1. how many figures each (subject, metric) has
    counts = pa.concat_tables(engine.imap(_count_pairs, [(str(path), lo, hi) for lo, hi in ranges]))
    counts = _sum_counts(counts)
    order = pc.sort_indices(counts, [("subject", "ascending"), ("metric", "ascending")])
    counts = counts.take(order)
    # 2. cut the sorted keys into consecutive parts
    part_of, total, part = [], 0, 0
    for k in counts["count_all"].to_pylist():
        if total and total + k > rows:
            part, total = part + 1, 0
        part_of.append(part)
        total += k
    keys = pa.table({"subject": counts["subject"], "metric": counts["metric"],
                     "part": pa.array(part_of, pa.int32())})
    # 3. the figures of each run of row groups into a temporary file, part after part
    schemas = _schemas(pf)
    spills = [f"{tmp}/figures-{i}.arrows" for i in range(len(ranges))]
    offsets = list(engine.imap(_split_rows, [(str(path), lo, hi, keys, part + 1, spill, schemas[1])
                                             for (lo, hi), spill in zip(ranges, spills)]))
    return [(str(path), [(spill, offs[k]) for spill, offs in zip(spills, offsets) if offs[k]], schemas)
            for k in range(part + 1)]


def _count_pairs(item: tuple) -> pa.Table:
    """(path, lo, hi): the distinct (subject, metric) pairs of row groups lo to hi of a
    figures.parquet, each with its number of figures (count_all)."""
    path, lo, hi = item
    pf = pq.ParquetFile(path, read_dictionary=DICTIONARY_COLUMNS)
    counts = []
    for i in range(lo, hi):
        ids, pairs = _distinct_pairs(pf.read_row_group(i, columns=_PAIR_COLUMNS))
        counts.append(pairs.append_column("count_all", pa.array(np.bincount(ids))))
        if len(counts) == 16:  # (the pairs of many row groups are mostly the same)
            counts = [_sum_counts(pa.concat_tables(counts))]
    return _sum_counts(pa.concat_tables(counts))


def _sum_counts(counts: pa.Table) -> pa.Table:
    """(subject, metric, count_all) with each pair once, its counts summed."""
    g = counts.group_by(["subject", "metric"], use_threads=False).aggregate([("count_all", "sum")])
    return pa.table({"subject": g["subject"], "metric": g["metric"], "count_all": g["count_all_sum"]})


def _schemas(pf: pq.ParquetFile) -> tuple[pa.Schema, pa.Schema]:
    """The figures' FIGURE_COLUMNS as pq.read_table gives them, and as written to the
    temporary files (without the descriptions)."""
    schema = pa.schema([pf.schema_arrow.field(c) for c in FIGURE_COLUMNS])
    return schema, pa.schema([pa.field(f.name, f.type, f.nullable) for f in schema])


def _split_rows(item: tuple) -> list[list[int]]:
    """(path, lo, hi, keys, n_parts, spill, spill_schema): the figures of row groups lo to hi
    into the file spill, the rows of each row group part after part (keys: subject, metric ->
    part; spill_schema: as ``_schemas`` gives it).
    Returns the offsets of the batches of each part in the file.

    One file for all the parts (a writer per part, each with its buffers, made memory grow
    with the corpus). The columns stay dictionaries, each batch with its own: a batch is an
    Arrow IPC stream of its own (the IPC file format allows one dictionary per column), found
    again by its offset in the file."""
    path, lo, hi, keys, n_parts, spill, spill_schema = item
    pf = pq.ParquetFile(path, read_dictionary=DICTIONARY_COLUMNS)
    batches: list[list[int]] = [[] for _ in range(n_parts)]
    with pa.OSFile(spill, "wb") as sink:
        for i in range(lo, hi):
            rg = pf.read_row_group(i, columns=FIGURE_COLUMNS)
            ids, pairs = _distinct_pairs(rg)
            # join reorders rows: match them back by the combination's id
            p = pairs.append_column("_id", pa.array(np.arange(pairs.num_rows))).join(
                keys, ["subject", "metric"], join_type="left outer", use_threads=False)
            part_of_id = np.empty(pairs.num_rows, dtype=np.int64)
            part_of_id[p["_id"].to_numpy()] = p["part"].to_numpy()
            parts = part_of_id[ids]
            # the rows of each part together (in their order): one take and a slice per
            # part, not a filter of the whole row group per part
            order = np.argsort(parts, kind="stable")
            ks, starts = np.unique(parts[order], return_index=True)
            rg = pa.Table.from_arrays(rg.columns, schema=spill_schema).take(order)
            for k, start, end in zip(ks, starts, np.r_[starts[1:], len(order)]):
                for b in rg.slice(start, end - start).to_batches():
                    batches[k].append(sink.tell())
                    with pa.ipc.new_stream(sink, spill_schema, options=_SPILL) as writer:
                        writer.write_batch(_compact(b))
    return batches


def _read_part(item: tuple) -> pa.Table:
    """(path, [(spill, offsets), ...], schemas) from ``_parts``: the figures of a part (with
    no spills, every figure of the file at path)."""
    path, sources, schemas = item
    if not sources:
        return pq.read_table(path, columns=FIGURE_COLUMNS, read_dictionary=DICTIONARY_COLUMNS)
    schema, spill_schema = schemas
    part = []
    for spill, offsets in sources:
        # read, not memory-mapped: the pages of the file would count in this process's memory
        with pa.OSFile(spill, "rb") as f:
            for offset in offsets:
                f.seek(offset)
                part.append(pa.ipc.open_stream(f).read_next_batch())
    return _as_read(pa.Table.from_batches(part, spill_schema), schema)


def _observe_part(item: tuple) -> pa.Table:
    """The observations of a part (an item of ``_parts``)."""
    obs = observations(_read_part(item))
    release_memory()  # (the part is gone: a worker keeps running)
    return obs


# the temporary files of _split_rows, not compressed: lz4 made them a third of the size (about
# that of figures.parquet; 97 MB uncompressed for the 200 MB bench corpus, for a while) but
# cost 2-3 ms of CPU per MB of input to compress and read back, a third of the splitting
_SPILL = pa.ipc.IpcWriteOptions(compression=None)


def _compact(batch: pa.RecordBatch) -> pa.RecordBatch:
    """A batch whose dictionaries are no longer than the batch: a row group's rows of one
    part keep the dictionaries of the whole row group, which, written for each part, would
    make the file grow with the number of parts."""
    columns = batch.columns
    for i, col in enumerate(columns):
        if pa.types.is_dictionary(col.type) and len(col.dictionary) > len(col):
            codes = col.indices.fill_null(0).to_numpy()
            used = np.zeros(len(col.dictionary), dtype=bool)
            used[codes] = True
            new = (np.cumsum(used) - 1)[codes].astype(np.int32)
            indices = pa.array(new, mask=col.is_null().to_numpy(zero_copy_only=False) if col.null_count else None)
            columns[i] = pa.DictionaryArray.from_arrays(indices, col.dictionary.filter(pa.array(used)))
    return pa.RecordBatch.from_arrays(columns, schema=batch.schema)


def _as_read(t: pa.Table, schema: pa.Schema) -> pa.Table:
    """Figures with the types (schema) pq.read_table(..., read_dictionary=DICTIONARY_COLUMNS)
    gives them, in one chunk (each column with one dictionary, of distinct values)."""
    t = t.unify_dictionaries().combine_chunks()
    return pa.Table.from_arrays(t.columns, schema=schema)


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
    schema = arrow_schema("observations")
    t = figures.select(FIGURE_COLUMNS)
    n = t.num_rows
    if n == 0:
        return schema.empty_table()
    seq = _inverse(source_order(t))  # rank of each figure in source order

    metric = _coalesce(t["metric_id"], t["metric_text"])
    t = t.append_column("metric", metric).append_column("component", _component(t, seq))
    alone = np.where(_mask(pc.is_null(metric)), np.arange(1, n + 1), 0)
    obs = _group_ids([t[k] for k in KEY] + [alone])
    # number the observations in output order: by the key, then by their first source
    heads = _firsts(obs, seq)
    keys = [seq[heads]] + [sort_ranks(t[k].take(heads)) for k in reversed(KEY)]
    obs = _inverse(np.lexsort(keys))[obs]

    # the sources of each observation, together and in source order (one integer key: the
    # pairs are distinct)
    rows = np.argsort(obs * n + seq)
    counts = np.bincount(obs)
    offsets = np.r_[0, np.cumsum(counts)].astype(np.int32)
    starts = offsets[:-1]
    first = rows[starts]

    half, low, high = _bounds(t)
    low_max = np.maximum.reduceat(low[rows], starts)
    high_min = np.minimum.reduceat(high[rows], starts)
    conflict = low_max > high_min + 1e-9 * np.maximum(1.0, np.abs(high_min))

    doc = _group_ids([t["doc_id"]])[rows]
    new_doc = np.r_[True, (obs[rows][1:] != obs[rows][:-1]) | (doc[1:] != doc[:-1])]
    doc_rows = rows[new_doc]
    doc_offsets = np.r_[0, np.cumsum(np.bincount(obs[doc_rows], minlength=len(counts)))].astype(np.int32)

    # the source that gives the value: the first of each observation's sources by the rule
    days = pc.cast(t["published"], pa.int32()).to_numpy(zero_copy_only=False).astype(float)
    latest = np.where(np.isnan(days), np.inf, -days)  # latest first, unknown dates last
    same = _group_ids([obs, t["value"]])
    n_same = np.bincount(same)[same]
    approximate = _mask(pc.is_valid(t["approx"]))
    # the first by each key in turn: the sources of each observation that have its smallest
    # value are kept, then the next key decides among those (a minimum per observation, not a
    # sort); the last key, (-n_same, seq) as one integer, is distinct for every figure
    group = obs[rows]
    keep = np.ones(n, dtype=bool)
    for key in (approximate.astype(np.int8), np.where(conflict[obs], latest, 0), half, latest,
                (n - n_same) * n + seq):
        k = key[rows]
        top = np.inf if k.dtype.kind == "f" else np.iinfo(k.dtype).max
        keep &= k == np.minimum.reduceat(np.where(keep, k, top), starts)[group]
    chosen = rows[keep]  # one per observation, in observation order

    kept = ["subject", "metric", "metric_id", "metric_text", "measure", "unit", "period",
            "period_start", "period_end", "status", "component", "value", "approx"]
    out = t.select(kept + ["figure_id"]).take(chosen)  # (only the columns an observation keeps)
    columns = {name: out[name].cast(schema.field(name).type) for name in kept}
    columns |= {
        "observation_id": t["figure_id"].take(first), "value_figure_id": out["figure_id"],
        "conflict": pa.array(conflict), "n_sources": pa.array(counts, pa.int32()),
        "source_values": pa.ListArray.from_arrays(offsets, t["value"].take(rows).combine_chunks()),
        "figure_ids": pa.ListArray.from_arrays(offsets, t["figure_id"].take(rows).combine_chunks()),
        "doc_ids": pa.ListArray.from_arrays(
            doc_offsets, t["doc_id"].take(doc_rows).cast(pa.string()).combine_chunks()),
        "first_published": _dates(np.fmin.reduceat(days[rows], starts)),
        "last_published": _dates(np.fmax.reduceat(days[rows], starts)),
    }
    return pa.table({name: columns[name] for name in schema.names}).cast(schema).combine_chunks()


def _inverse(permutation) -> np.ndarray:
    """The rank of each position in a permutation (sort indices to ranks)."""
    p = permutation if isinstance(permutation, np.ndarray) else permutation.to_numpy()
    ranks = np.empty(len(p), dtype=np.int64)
    ranks[p] = np.arange(len(p))
    return ranks


def _firsts(groups: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """The row of each group (0, 1, ...) that comes first in seq (a permutation)."""
    rows = np.argsort(groups * len(seq) + seq)  # one integer key: the pairs are distinct
    return rows[np.r_[True, groups[rows][1:] != groups[rows][:-1]]]


def _coalesce(a, b):
    """pc.coalesce(a, b); for two dictionary columns, made on their dictionaries (a
    dictionary array of the distinct values of both), not string by string."""
    if not (pa.types.is_dictionary(a.type) and pa.types.is_dictionary(b.type)):
        return pc.coalesce(a, b)
    a, b = (one_dictionary(c) for c in (a, b))
    both = pc.dictionary_encode(pa.concat_arrays([a.dictionary.cast(pa.string()), b.dictionary.cast(pa.string())]))
    codes = both.indices.to_numpy()
    n_a = len(a.dictionary)
    a_codes = np.r_[codes[:n_a], 0][a.indices.fill_null(n_a).to_numpy()]  # null: 0, masked below
    b_codes = np.r_[codes[n_a:], 0][b.indices.fill_null(len(b.dictionary)).to_numpy()]
    a_valid, b_valid = _mask(a.is_valid()), _mask(b.is_valid())
    values = np.where(a_valid, a_codes, np.where(b_valid, b_codes, 0)).astype(np.int32)
    indices = pa.array(values, mask=~(a_valid | b_valid))
    return pa.DictionaryArray.from_arrays(indices, both.dictionary)


def _mask(condition) -> np.ndarray:
    """A boolean Arrow array (null as false) to numpy."""
    return pc.fill_null(condition, False).to_numpy(zero_copy_only=False)


def _dates(days: np.ndarray) -> pa.Array:
    """Days since 1970 (NaN for none) to date32."""
    return pa.array(np.nan_to_num(days).astype(np.int32), mask=np.isnan(days)).cast(pa.date32())


def _group_ids(columns: list) -> np.ndarray:
    """One id per distinct combination of the columns' values (null is a value), numbered in
    order of first appearance. A column is an Arrow array or a numpy array of codes (integers
    from 0). The codes of the columns are combined into one integer while it fits in 64 bits,
    and numbered once: not once per column."""
    ids = np.zeros(len(columns[0]), dtype=np.int64)
    size = 1  # ids < size
    for col in columns:
        if isinstance(col, np.ndarray):
            codes = col.astype(np.int64, copy=False)
            card = int(codes.max(initial=0)) + 1
        else:
            col = encoded(col)
            card = len(col.dictionary) + 1
            codes = col.indices.fill_null(card - 1).to_numpy().astype(np.int64)
        if size * card >= 2**63:
            ids = pd.factorize(ids)[0]
            size = int(ids.max(initial=0)) + 1
        ids = ids * card + codes
        size *= card
    return pd.factorize(ids)[0]


def _component(t: pa.Table, seq: np.ndarray) -> pa.Array:
    """low/high for the ends of a range, part1, part2, ... for the parts of a ratio (in order
    on the page)."""
    role = t["role"].cast(pa.string()).combine_chunks()
    comp = pc.if_else(pc.is_in(role, pa.array(["low", "high"])), role, pa.scalar(None, pa.string()))
    parts = np.flatnonzero(_mask(pc.equal(role, "part")))
    if len(parts):
        parts = parts[np.argsort(seq[parts])]
        group = _group_ids([t["group_id"].take(parts)])
        n = pd.Series(group).groupby(group).cumcount().to_numpy() + 1
        names = np.full(len(role), None, dtype=object)
        names[parts] = np.char.add("part", n.astype(str))
        comp = pc.coalesce(comp, pa.array(names, pa.string()))
    return comp


def _bounds(t: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Half a unit of the last printed digit (124.3亿元: 0.05亿), and the interval the figure
    allows: value ± that half, open upwards in magnitude for 余/以上 (more_than, at_least),
    downwards for 不到/以下 (less_than, at_most). Numbers written in words count as exact."""
    # the printed number of each distinct raw_value (a tenth as many as the figures)
    raw = encoded(t["raw_value"])
    digits = pc.replace_substring_regex(raw.dictionary, r"[,，\s]", "")
    m = pc.extract_regex(digits, r"^(?P<int>[0-9]+)(?:\.(?P<dec>[0-9]*))?$")
    printed = pc.cast(pc.if_else(pc.is_valid(m), digits, pa.scalar(None, pa.string())), pa.float64())
    decimals = pc.utf8_length(pc.struct_field(m, "dec"))
    which = raw.indices.fill_null(len(raw.dictionary)).to_numpy()  # null raw_value: NaN, 0
    printed = np.r_[printed.to_numpy(zero_copy_only=False), np.nan][which]
    decimals = np.r_[pc.fill_null(decimals, 0).to_numpy(zero_copy_only=False), 0][which]
    value = t["value"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        half = 0.5 * 10.0 ** -decimals.astype(float) * np.abs(value / printed)
    half = np.where(np.isfinite(half), half, 0.0)
    approx = t["approx"]
    up = _mask(pc.is_in(approx, pa.array(["more_than", "at_least"])))
    down = _mask(pc.is_in(approx, pa.array(["less_than", "at_most"])))
    neg = value < 0
    low = np.where((up & neg) | (down & ~neg), -np.inf, value - half)
    high = np.where((up & ~neg) | (down & neg), np.inf, value + half)
    return half, low, high


# ---------------------------------------------------------------- metrics

def catalogue() -> list[dict]:
    """The entries of schemas/metrics.yaml (empty when there is none yet)."""
    return list((read_yaml("schemas/metrics.yaml") or {}).get("metrics") or [])


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
    return to_table("metrics_table", rows)


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
