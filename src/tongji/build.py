"""Build: a folder of pages to the dataset tables.

The pages are cut into chunks of consecutive documents (in doc_id order) that an engine
(``tongji.engine``) runs in this process, in worker processes or on a Dask cluster. Each
chunk comes back as Arrow tables, in order, and is streamed into the Parquet files in row
groups of a fixed number of rows: memory stays bounded whatever the size of the corpus and
the files are the same, byte for byte, whatever the engine, the number of jobs or the cache.
"""
from __future__ import annotations

import gc
import os
import sys
import time
from array import array
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


from . import ingest
from .output import Stage, TableWriter, recover, release_memory
from .pipeline import analyse
from .tables import article_columns, columns_table, figure_columns, to_table

TABLES = ("documents", "figures", "articles")
CHUNK_BYTES = 1 << 20      # input bytes per unit of work sent to a worker, at most
CHUNK_BYTES_MIN = 64 << 10  # ... and at least (a small corpus is cut finer, to keep every worker busy)
CHUNK_DOCS = 512           # documents per unit of work, at most
RELEASE_EVERY = 64         # chunks between two hand-backs of freed memory (output.release_memory);
                           # each makes the process fault the pages it reuses back in (every 8
                           # chunks: 0.5 s of system time on 200 MB, for no lower peak)
GC_YOUNG = 5000            # new objects between two runs of the cyclic garbage collector (Python: 700)


@dataclass
class DocResult:
    """The rows of one page: its documents row (a dict) and its figures and articles rows as
    columns (``tables.figure_columns``, ``tables.article_columns``; an empty dict for a page
    that failed). Columns are cheaper than dicts per row to make, to pickle for the cache and
    to turn into Arrow."""
    doc: dict
    figures: dict[str, list] = field(default_factory=dict)
    articles: dict[str, list] = field(default_factory=dict)
    n_bytes: int = 0


def _discover(input_dir: Path) -> list[tuple[str, str | None]]:
    """Every ``*.txt`` below input_dir, as (doc_id, path relative to input_dir) strings
    sorted by doc_id (the path None for an input that is a file)."""
    if not input_dir.exists():
        raise ingest.InputError(f"input not found: {input_dir}")
    if input_dir.is_file():
        return [(input_dir.stem, None)]
    out = []
    for p in input_dir.rglob("*.txt"):
        if p.is_file():
            rel = p.relative_to(input_dir)
            out.append((rel.with_suffix("").as_posix(), rel.as_posix()))
    out.sort()
    return out


class _Pages:
    """The pages of a build in doc_id order, as ``(doc_id, path)``, with their sizes in bytes.

    A build holds this for its whole run, so it is kept compact: the doc_ids and the relative
    paths joined in two strings (NUL-separated: no path holds a NUL) and the sizes in an
    array, some 50 bytes a page. Lists of Paths and of tasks took close to a kilobyte a
    page: 45 MB for 50,000 pages, held to the end of the build."""

    def __init__(self, input_dir: Path):
        self.input_dir = input_dir
        found = _discover(input_dir)
        self.n = len(found)
        self.file = found[0][0] if found and found[0][1] is None else None
        self.doc_ids = "\0".join(doc_id for doc_id, _ in found)
        self.rels = "\0".join(rel for _, rel in found) if self.file is None else ""
        del found
        self.sizes = array("q", bytes(8 * self.n))
        for i, (_, path) in enumerate(self):
            try:
                self.sizes[i] = os.stat(path).st_size
            except OSError:
                pass

    def __len__(self) -> int:
        return self.n

    def __iter__(self):
        if self.file is not None:
            yield self.file, self.input_dir
            return
        for doc_id, rel in zip(_split(self.doc_ids, self.n), _split(self.rels, self.n)):
            yield doc_id, self.input_dir / rel


def _split(joined: str, n: int):
    """The n parts of a NUL-joined string, one after another."""
    start = 0
    for _ in range(n):
        end = joined.find("\0", start)
        end = len(joined) if end < 0 else end
        yield joined[start:end]
        start = end + 1


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
    figs, arts = {}, {}
    n_arts = n_figs = 0
    title = None
    if doc.status == "ok":
        try:
            arts_, figs_, _ = analyse(doc.raw, doc.published, doc.place)
        except Exception as e:  # a page must never stop the build
            doc.status, doc.error = "error", f"extraction failed: {type(e).__name__}: {e}"
        else:
            figs = figure_columns(doc_id, figs_, doc.published)
            arts = article_columns(doc_id, arts_)
            n_arts, n_figs = len(arts_), len(figs_)
            title = next((a.title for a in arts_ if a.title), None)
    return DocResult(_doc_row(doc, title, n_arts, n_figs), figs, arts, doc.n_bytes)


def _doc_row(doc: ingest.Document, title: str | None = None, n_articles: int = 0, n_figures: int = 0) -> dict:
    """The documents row of a page."""
    return {
        "doc_id": doc.doc_id, "path": str(doc.path), "sha256": doc.sha256 or None, "n_chars": len(doc.raw),
        "encoding": doc.encoding or None, "published": doc.published,
        "published_source": doc.published_source, "place": doc.place, "title": title,
        "n_articles": n_articles, "n_figures": n_figures, "status": doc.status, "error": doc.error,
    }


def collect_less() -> None:
    """Leave the objects that exist now out of the collector's runs (gc.freeze) and run it
    every GC_YOUNG new objects (see fewer_collections)."""
    gc.freeze()
    gc.set_threshold(GC_YOUNG, *gc.get_threshold()[1:])


@contextmanager
def fewer_collections():
    """Python's cyclic garbage collector run less often, for the time of a build.

    A build makes and drops millions of small objects (figures, their strings, the lists of
    the columns), all freed by reference counting: the collector, run every 700 new objects
    by default, traversed them for nothing, and each of its full runs went through every
    object of the modules as well (2.4 ms of CPU per MB of a 200 MB corpus; 0.2 now). The
    objects that exist when the build starts are frozen (left out of every run) and the
    collector waits for GC_YOUNG new objects. Cyclic garbage is still collected, a little
    later; the peak memory of a build is the same."""
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    collect_less()
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if not frozen:  # (what a caller froze stays frozen)
            gc.unfreeze()


# --------------------------------------------------------------------------- units of work

@dataclass(frozen=True)
class Task:
    doc_id: str
    path: str       # as discovered (written to documents.path and part of the cache key)
    abspath: str    # what a worker opens (its working directory may differ)
    meta: dict


@dataclass
class Chunk:
    kind: str            # "process": tasks to run; "cached": blobs of stored results
    items: list
    n_src_bytes: int     # bytes of the input files (progress)
    want_blobs: bool = False


@dataclass
class ChunkOut:
    tables: dict
    blobs: list          # (doc_id, key, blob) to store in the cache
    documents: int = 0
    figures: int = 0
    errors: int = 0
    n_bytes: int = 0
    n_src_bytes: int = 0
    processed: int = 0
    cached: int = 0
    rules: str = ""


def _failed(task: Task, e: Exception) -> DocResult:
    return DocResult(_doc_row(ingest.Document(task.doc_id, task.path, place=(task.meta or {}).get("place"),
                                              status="error",
                                              error=f"processing failed: {type(e).__name__}: {e}")))


def run_chunk(chunk: Chunk) -> ChunkOut:
    """The work of one chunk, wherever it runs: results as Arrow tables (and cache blobs)."""
    from . import cache as cache_mod

    rules = cache_mod.rules_version()
    results: list[DocResult] = []
    blobs: list = []
    if chunk.kind == "cached":
        results = [cache_mod.loads(b) for b in chunk.items]
    else:
        for t in chunk.items:
            try:
                r = process(t.doc_id, Path(t.abspath), t.meta)
                r.doc["path"] = t.path
            except Exception as e:  # process never raises for a bad page; this is the last guard
                r = _failed(t, e)
            results.append(r)
            sha = r.doc.get("sha256")
            if chunk.want_blobs and sha:
                key = cache_mod.entry_key(t.doc_id, t.path, t.meta, sha, rules)
                blobs.append((t.doc_id, key, cache_mod.dumps(r)))
    tables = {
        "documents": to_table("documents", [r.doc for r in results]),
        "figures": columns_table("figures", [r.figures for r in results if r.figures]),
        "articles": columns_table("articles", [r.articles for r in results if r.articles]),
    }
    n = len(results)
    return ChunkOut(tables, blobs, documents=n, figures=sum(r.doc["n_figures"] for r in results),
                    errors=sum(r.doc["status"] != "ok" for r in results),
                    n_bytes=sum(r.n_bytes for r in results), n_src_bytes=chunk.n_src_bytes,
                    processed=n if chunk.kind == "process" else 0,
                    cached=n if chunk.kind == "cached" else 0, rules=rules)


def _chunks(tasks: Iterable[Task], sizes: Iterable[int], cache, chunk_bytes: int, chunk_docs: int):
    """Consecutive documents grouped into chunks of one kind (to run, or found in the cache)."""
    from . import cache as cache_mod

    rules = cache_mod.rules_version() if cache is not None else None
    kind, run, nb = None, [], 0
    for t, size in zip(tasks, sizes):
        blob = None
        stored = cache.entry(t.doc_id) if cache is not None else None
        if stored is not None:  # (a page never seen is not read here)
            sha = cache_mod.file_sha256(t.abspath)
            if sha is not None and stored[0] == cache_mod.entry_key(t.doc_id, t.path, t.meta, sha, rules):
                blob = stored[1]
        k = "process" if blob is None else "cached"
        if run and (k != kind or nb + size > chunk_bytes or len(run) >= chunk_docs):
            yield Chunk(kind, run, nb, cache is not None)
            run, nb = [], 0
        kind = k
        run.append(t if blob is None else blob)
        nb += size
    if run:
        yield Chunk(kind, run, nb, cache is not None)


# --------------------------------------------------------------------------- build

@dataclass
class BuildSummary:
    documents: int
    figures: int
    errors: int
    seconds: float
    mb: float
    processed: int = 0          # documents run through the pipeline
    cached: int = 0             # documents whose rows came from the cache
    observations: int | None = None
    engine: str = ""

    @property
    def mb_per_s(self) -> float:
        return self.mb / max(self.seconds, 1e-9)

    def line(self) -> str:
        obs = f"{self.observations} observations, " if self.observations is not None else ""
        cached = f" ({self.cached} from cache)" if self.cached else ""
        return (f"{self.documents} documents{cached}, {self.figures} figures, {obs}{self.errors} errors, "
                f"{self.seconds:.1f} s, {self.mb_per_s:.2f} MB/s")


class _Progress:
    """A rich progress bar on stderr (only when asked: the CLI asks on a terminal)."""

    def __init__(self, enabled: bool, total_bytes: int, label: str):
        self.p = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn,
                                   TimeRemainingColumn, TransferSpeedColumn)

        self.p = Progress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
                          TransferSpeedColumn(), TextColumn("{task.fields[docs]} docs"),
                          TimeRemainingColumn(), console=Console(stderr=True), transient=True)
        self.task = self.p.add_task(label, total=total_bytes, docs=0)
        self.docs = 0
        self.p.start()

    def advance(self, n_bytes: int, n_docs: int) -> None:
        if self.p is not None:
            self.docs += n_docs
            self.p.update(self.task, advance=n_bytes, docs=self.docs)

    def close(self) -> None:
        if self.p is not None:
            self.p.stop()


@fewer_collections()
def build(input_dir: Path, out_dir: Path, *, jobs: int | None = None, engine="local",
          scheduler: str | None = None, cache: bool = True, progress: bool | None = None,
          chunk_bytes: int | None = None, chunk_docs: int = CHUNK_DOCS) -> BuildSummary:
    """Build documents/figures/articles.parquet in out_dir from the pages of input_dir.

    jobs: worker processes (default: every core; 1 runs in this process); engine: "local",
    "dask" or a ``tongji.engine.Engine``; scheduler: a Dask scheduler address (else a
    LocalCluster); cache: reuse the results of unchanged pages from ``out_dir/.cache``;
    progress: a progress bar on stderr (default: when stderr is a terminal); chunk_bytes:
    input bytes per unit of work (default: a few units per worker, 64 kB to 1 MB each).

    With the local engine and jobs > 1, worker processes are started by a fork server: a
    script that calls build() must guard its entry point with ``if __name__ == "__main__":``.
    """
    from .cache import Cache
    from .engine import make_engine

    t0 = time.perf_counter()
    input_dir, out_dir = Path(input_dir), Path(out_dir)
    pages = _Pages(input_dir)  # what this process keeps per page, compactly
    # the temporary objects of the discovery are gone, but the interpreter's free lists keep
    # some of them, enough to hold on to most of their memory: empty them
    gc.collect()
    release_memory()
    sizes = pages.sizes
    manifest = manifest_for(input_dir)

    def tasks():  # made as the chunks are sent
        for doc_id, p in pages:
            yield Task(doc_id, str(p), os.path.abspath(p), meta_of(manifest, input_dir, doc_id, p))

    if progress is None:
        progress = sys.stderr.isatty()

    eng = make_engine(engine, jobs, scheduler)  # a bad engine fails before any file is opened
    s = BuildSummary(0, 0, 0, 0.0, 0.0)
    s.engine = eng.describe()
    out_dir.mkdir(parents=True, exist_ok=True)
    recover(out_dir)
    store = Cache(out_dir) if cache else None
    stage = Stage(out_dir)
    writers = {name: TableWriter(name, out_dir / f"{name}.parquet", stage=stage) for name in TABLES}
    bar = _Progress(bool(progress), sum(sizes), "tongji build")
    if chunk_bytes is None:
        chunk_bytes = min(CHUNK_BYTES, max(CHUNK_BYTES_MIN, sum(sizes) // (8 * eng.workers)))
    n_bytes = n_chunks = 0
    ok = False
    try:
        from .cache import rules_version

        rules = rules_version()
        with eng:
            for out in eng.imap(run_chunk, _chunks(tasks(), sizes, store, chunk_bytes, chunk_docs)):
                if eng.name == "dask" and out.rules != rules:
                    raise RuntimeError("a Dask worker runs a different version of tongji "
                                       "(its rules differ from this process's): install the same "
                                       "tongji on the workers")
                for name in TABLES:
                    writers[name].add(out.tables[name])
                if store is not None:
                    store.put_many(out.blobs)
                s.documents += out.documents
                s.figures += out.figures
                s.errors += out.errors
                s.processed += out.processed
                s.cached += out.cached
                n_bytes += out.n_bytes
                bar.advance(out.n_src_bytes, out.documents)
                out = None
                n_chunks += 1
                if n_chunks % RELEASE_EVERY == 0:
                    release_memory()
            for w in writers.values():
                w.close()
            release_memory()
            from .dataset import finish

            # the observations are made by the pool's workers too (a Dask cluster's may not
            # see the files of this machine: made here)
            s.observations = finish(out_dir, stage, Path(writers["figures"].tmp),
                                    engine=eng if eng.name == "local" else None)
        stage.commit()
        ok = True
    finally:
        bar.close()
        if not ok:
            for w in writers.values():
                w.abort()
            stage.abort()
        if store is not None:
            try:
                if ok:
                    store.prune(doc_id for doc_id, _ in pages)
            finally:
                store.close()
    s.seconds = time.perf_counter() - t0
    s.mb = n_bytes / 1e6
    return s
