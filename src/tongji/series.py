"""``tongji series DIR``: the wide table of a built dataset, one row per series, one column
per period.

A series is (subject, metric, measure, unit, status, component); its cells are the values of
its observations. Observations with no metric or no period have no place in the table and
are left out (they are in observations.parquet).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd

ROW = ["subject", "metric", "measure", "unit", "status", "component"]
# what wide() reads of observations.parquet (not the long lists of sources)
COLUMNS = ROW + ["metric_text", "period", "period_start", "period_end", "value", "conflict"]


def wide(obs: pd.DataFrame, metrics: pd.DataFrame | None = None, subject: str | None = None,
         metric: str | None = None, marks: bool = False) -> pd.DataFrame:
    """Observations to the wide table. ``metric`` matches a metric id, the catalogue name or
    an alias, or the indicator as written. With ``marks``, a value whose sources conflict
    ends with ``*``."""
    o = obs[obs["metric"].notna() & obs["period"].notna()]
    if subject is not None:
        o = o[o["subject"] == subject]
    names = {}
    if metrics is not None and len(metrics):
        names = dict(zip(metrics["id"], metrics["name"]))
    if metric is not None:
        ids = set()
        if metrics is not None and len(metrics):
            ids = {m["id"] for m in metrics.to_dict("records")
                   if metric in (m["id"], m["name"], *list(m["aliases"]))}
        o = o[o["metric"].isin(ids | {metric}) | (o["metric_text"] == metric)]
    if o.empty:
        return pd.DataFrame()

    o = o.assign(cell=[format(v, ".15g") for v in o["value"]])
    if marks:
        o.loc[o["conflict"], "cell"] += "*"
    periods = (o[["period", "period_start", "period_end"]].drop_duplicates("period")
               .sort_values(["period_end", "period_start", "period"], na_position="first"))
    rows = ROW if o["component"].notna().any() else ROW[:-1]
    table = (o.assign(**{c: o[c].fillna("") for c in rows})
             .pivot_table(index=rows, columns="period", values="cell", aggfunc="first")
             .reindex(columns=list(periods["period"]))
             .reset_index())
    table.columns.name = None
    table["metric"] = table["metric"].map(lambda m: names.get(m, m))
    return table.fillna("")


def main(args) -> int:
    d = Path(args.dir)
    obs = pd.read_parquet(d / "observations.parquet", columns=COLUMNS)
    metrics = pd.read_parquet(d / "metrics.parquet") if (d / "metrics.parquet").exists() else None
    table = wide(obs, metrics, subject=args.subject, metric=args.metric,
                 marks=args.format == "table")
    if table.empty:
        print("tongji series: no observations match", file=sys.stderr)
        return 1
    try:
        _print(table, args.format)
    except BrokenPipeError:  # tongji series DIR | head: the reader is gone, nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _print(table: pd.DataFrame, fmt: str) -> None:
    if fmt == "csv":
        sys.stdout.write(table.to_csv(index=False))
    else:
        with pd.option_context("display.unicode.east_asian_width", True):
            print(table.to_string(index=False))
        if table.apply(lambda c: c.astype(str).str.endswith("*")).to_numpy().any():
            print("\n* the sources disagree; observations.parquet keeps every value (source_values)")
