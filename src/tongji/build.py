"""Build: a folder of pages to the dataset tables."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from . import ingest
from .output import write_parquet
from .pipeline import analyse
from .tables import figure_row, to_table


@dataclass
class DocResult:
    doc: dict
    figures: list[dict] = field(default_factory=list)
    articles: list[dict] = field(default_factory=list)
    n_bytes: int = 0


def discover(input_dir: Path) -> list[tuple[str, Path]]:
    """Every ``*.txt`` below input_dir, as (doc_id, path), sorted by doc_id."""
    input_dir = Path(input_dir)
    if not input_dir.exists():
        raise ingest.InputError(f"input not found: {input_dir}")
    if input_dir.is_file():
        return [(input_dir.stem, input_dir)]
    out = []
    for p in input_dir.rglob("*.txt"):
        if p.is_file():
            rel = p.relative_to(input_dir).with_suffix("")
            out.append((rel.as_posix(), p))
    out.sort()
    return out


def manifest_for(input_dir: Path) -> dict[str, dict]:
    m = Path(input_dir) / "manifest.csv"
    if Path(input_dir).is_dir() and m.exists():
        return ingest.read_manifest(m)
    return {}


def meta_of(manifest: dict[str, dict], input_dir: Path, doc_id: str, path: Path) -> dict:
    if not manifest:
        return {}
    rel = path.relative_to(input_dir).as_posix() if Path(input_dir).is_dir() else path.name
    return manifest.get(rel) or manifest.get(doc_id) or manifest.get(path.name) or {}


def process(doc_id: str, path: Path, meta: dict | None = None) -> DocResult:
    """One page to its rows. Pure: depends on the bytes and meta only."""
    doc = ingest.load(Path(path), doc_id, meta)
    figs, arts = [], []
    title = None
    if doc.status == "ok":
        try:
            arts_, figs_, _ = analyse(doc.raw, doc.published, doc.place)
        except Exception as e:  # a page must never stop the build
            doc.status, doc.error = "error", f"extraction failed: {type(e).__name__}: {e}"
        else:
            figs = [figure_row(doc_id, i + 1, f, doc.published) for i, f in enumerate(figs_)]
            arts = [{"doc_id": doc_id, "article": a.index, "start": a.start, "end": a.end,
                     "title": a.title or None} for a in arts_]
            title = next((a.title for a in arts_ if a.title), None)
    row = {
        "doc_id": doc_id, "path": str(path), "sha256": doc.sha256 or None, "n_chars": len(doc.raw),
        "encoding": doc.encoding or None, "published": doc.published,
        "published_source": doc.published_source, "place": doc.place, "title": title,
        "n_articles": len(arts), "n_figures": len(figs), "status": doc.status, "error": doc.error,
    }
    return DocResult(row, figs, arts, doc.n_bytes)


@dataclass
class BuildSummary:
    documents: int
    figures: int
    errors: int
    seconds: float
    mb: float


def build(input_dir: Path, out_dir: Path) -> BuildSummary:
    t0 = time.perf_counter()
    input_dir, out_dir = Path(input_dir), Path(out_dir)
    docs = discover(input_dir)
    manifest = manifest_for(input_dir)
    results = [process(doc_id, p, meta_of(manifest, input_dir, doc_id, p)) for doc_id, p in docs]
    return write_tables(results, out_dir, t0)


def write_tables(results: list[DocResult], out_dir: Path, t0: float) -> BuildSummary:
    doc_rows = [r.doc for r in results]
    fig_rows = [f for r in results for f in r.figures]
    art_rows = [a for r in results for a in r.articles]
    write_parquet(to_table("documents", doc_rows), out_dir / "documents.parquet")
    write_parquet(to_table("figures", fig_rows), out_dir / "figures.parquet")
    write_parquet(to_table("articles", art_rows), out_dir / "articles.parquet")
    from .dataset import finish

    finish(out_dir)
    mb = sum(r.n_bytes for r in results) / 1e6
    return BuildSummary(len(doc_rows), len(fig_rows), sum(r.doc["status"] != "ok" for r in results),
                        time.perf_counter() - t0, mb)
