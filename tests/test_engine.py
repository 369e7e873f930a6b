"""Engines: local processes and Dask give the same tables, byte for byte, in bounded memory."""
import operator

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import RAW
from tongji.build import TABLES, TableWriter, build
from tongji.cli import main
from tongji.engine import Engine, InlineEngine, LocalEngine, make_engine

SMALL_CHUNKS = 20_000  # bytes: data/raw becomes several units of work


def tables_bytes(d):
    return {name: (d / f"{name}.parquet").read_bytes() for name in TABLES}


def test_jobs_do_not_change_a_byte(tmp_path, built):
    s = build(RAW, tmp_path / "j2", jobs=2, cache=False, chunk_bytes=SMALL_CHUNKS)
    assert s.documents == 5 and s.processed == 5 and s.errors == 0
    assert s.engine.startswith("local (2 workers")
    one = build(RAW, tmp_path / "j1", jobs=1, cache=False, chunk_bytes=SMALL_CHUNKS)
    assert one.engine.startswith("inline")
    assert tables_bytes(tmp_path / "j2") == tables_bytes(tmp_path / "j1") == tables_bytes(built)
    docs = pq.read_table(tmp_path / "j2" / "documents.parquet").column("doc_id").to_pylist()
    assert docs == sorted(docs)


def test_dask_engine_builds_the_same_tables(tmp_path, built):
    pytest.importorskip("dask.distributed")
    from tongji.engine import DaskEngine

    eng = DaskEngine(workers=2, processes=False)
    assert eng.workers == 2
    s = build(RAW, tmp_path / "dask", engine=eng, cache=False, chunk_bytes=SMALL_CHUNKS)
    assert s.engine.startswith("dask")
    assert s.documents == 5 and s.errors == 0
    for name in TABLES:
        got = pq.read_table(tmp_path / "dask" / f"{name}.parquet")
        want = pq.read_table(built / f"{name}.parquet")
        assert got.to_pylist() == want.to_pylist(), name
    assert tables_bytes(tmp_path / "dask") == tables_bytes(built)


def test_imap_keeps_order_and_bounds_the_work_in_flight():
    class Recording(Engine):
        workers = 2

        def __init__(self):
            self.in_flight = self.most = 0

        def _submit(self, fn, item):
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
            return fn(item)

        def _wait(self, handle):
            self.in_flight -= 1
            return handle

    eng = Recording()
    assert list(eng.imap(operator.neg, range(100))) == [-i for i in range(100)]
    assert eng.most == 2 * eng.workers + 1
    assert list(InlineEngine().imap(operator.neg, range(5))) == [0, -1, -2, -3, -4]


def test_local_engine_pool_keeps_order():
    with LocalEngine(2) as eng:
        eng._start()
        eng._starting.join()  # the workers are up: every item goes to them
        assert list(eng.imap(operator.neg, range(40))) == [-i for i in range(40)]
        assert eng._pool is not None and len(eng._pool._processes) == 2

    def items():  # the first items run here while the workers start, the others there
        yield from range(5)
        eng._starting.join()
        yield from range(5, 40)

    with LocalEngine(2) as eng:
        assert list(eng.imap(operator.neg, items())) == [-i for i in range(40)]
        assert eng._pool is not None
    with LocalEngine(2) as eng:  # a single item runs here, without a pool
        assert list(eng.imap(operator.neg, [3])) == [-3]
        assert eng._pool is None


def test_workers_use_arrows_jemalloc_pool_where_pyarrow_has_it(monkeypatch):
    """The workers start with ARROW_DEFAULT_MEMORY_POOL=jemalloc (it hands freed memory back
    at once); this process's environment is left as it was."""
    import os

    from tongji import engine

    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    with LocalEngine(2) as eng:
        eng._start()
        eng._starting.join()
        seen = set(eng.imap(os.getenv, ["ARROW_DEFAULT_MEMORY_POOL"] * 4))
    want = "jemalloc" if engine._has_arrow_pool("jemalloc") else None
    assert seen == {want}
    assert "ARROW_DEFAULT_MEMORY_POOL" not in os.environ


def test_an_error_stops_the_workers_without_waiting_for_their_pages():
    import time

    eng = LocalEngine(2)
    with pytest.raises(RuntimeError):
        with eng:
            eng._start()
            eng._starting.join()
            it = eng.imap(time.sleep, [0, 600, 600])
            assert next(it) is None
            procs = list(eng._pool._processes.values())
            raise RuntimeError("stop")
    assert procs and not any(p.is_alive() for p in procs)


def test_make_engine():
    assert isinstance(make_engine("local", 1), InlineEngine)
    assert isinstance(make_engine("local", 3), LocalEngine)
    with pytest.raises(ValueError):
        make_engine("spark")
    with pytest.raises(ValueError):
        make_engine("local", 2, scheduler="tcp://127.0.0.1:8786")


def test_row_groups_do_not_depend_on_how_rows_arrive(tmp_path):
    from tongji.tables import arrow_schema, to_table

    rows = [{"doc_id": f"d{i:03d}", "article": i, "start": i, "end": i + 1, "title": None} for i in range(10)]
    table = to_table("articles", rows)
    assert table.schema == arrow_schema("articles")
    outs = []
    for k, cuts in enumerate([(10,), (1, 9), (4, 3, 3), (7, 2, 1)]):
        w = TableWriter("articles", tmp_path / f"a{k}.parquet", rows=3)
        at = 0
        for n in cuts:
            w.add(table.slice(at, n))
            at += n
        w.close()
        outs.append((tmp_path / f"a{k}.parquet").read_bytes())
    assert len(set(outs)) == 1
    f = pq.ParquetFile(tmp_path / "a0.parquet")
    assert [f.metadata.row_group(i).num_rows for i in range(f.num_row_groups)] == [3, 3, 3, 1]
    assert f.read().to_pylist() == rows
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_many_small_tables_give_the_same_row_groups(tmp_path):
    """Small tables from many chunks are joined while they wait for their row group: the
    bytes are those of the rows arriving at once."""
    from tongji.tables import to_table

    rows = [{"doc_id": f"d{i:04d}", "article": i, "start": i, "end": i + 1, "title": f"t{i % 7}" if i % 3 else None}
            for i in range(1000)]
    table = to_table("articles", rows)
    outs = []
    for k, size in enumerate([1000, 7, 1]):
        w = TableWriter("articles", tmp_path / f"a{k}.parquet", rows=300)
        for at in range(0, 1000, size):
            w.add(table.slice(at, size))
            assert len(w.pending) <= TableWriter.COMPACT_AT + 1
        w.close()
        outs.append((tmp_path / f"a{k}.parquet").read_bytes())
    assert len(set(outs)) == 1
    assert pq.read_table(tmp_path / "a2.parquet").to_pylist() == rows


def test_an_empty_input_gives_empty_tables(tmp_path):
    (tmp_path / "in").mkdir()
    s = build(tmp_path / "in", tmp_path / "out", jobs=2)
    assert s.documents == 0
    for name in TABLES:
        t = pq.read_table(tmp_path / "out" / f"{name}.parquet")
        assert t.num_rows == 0 and isinstance(t, pa.Table)


def test_cli_build_options(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", str(RAW), "--out", str(out), "--jobs", "1", "--no-cache"]) == 0
    err = capsys.readouterr().err
    assert "5 documents" in err and "MB/s" in err and "errors" in err
    assert "\x1b[" not in err  # no progress bar when stderr is not a terminal
    assert not (out / ".cache").exists()
    assert main(["build", str(RAW), "--out", str(out), "--engine", "local",
                 "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert main(["build", str(RAW), "--out", str(out), "--jobs", "0"]) == 2


def test_progress_bar_when_asked(tmp_path):
    s = build(RAW, tmp_path / "p", jobs=1, cache=False, progress=True)
    assert s.documents == 5


# ------------------------------------------------------------------ make bench, on a tiny corpus

def _bench_module(name):
    import importlib.util

    from conftest import ROOT

    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_bench_corpus_is_varied_not_copied(tmp_path):
    mc = _bench_module("make_corpus")
    info = mc.make(tmp_path / "c", 0.2, seed=3, quiet=True)
    pages = sorted((tmp_path / "c" / "pages").rglob("*.txt"))
    assert len(pages) == info["pages"] and info["bytes"] >= 200_000
    source = {p for p in mc.paragraphs(RAW) if any(c.isdigit() for c in p)}
    made = [p for f in pages for p in mc.paragraphs(f.parent) if any(c.isdigit() for c in p)]
    assert made and sum(p in source for p in made) < len(made) / 10
    again = mc.make(tmp_path / "d", 0.2, seed=3, quiet=True)
    assert [f.read_bytes() for f in sorted((tmp_path / "d" / "pages").rglob("*.txt"))] == \
        [f.read_bytes() for f in pages] and again["bytes"] == info["bytes"]


def test_bench_runs_end_to_end_without_the_peer(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    out = tmp_path / "BENCH.md"
    cp = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--mb", "0.1", "--jobs", "1",
                         "--no-small", "--wait-idle", "0", "--retries", "0", "--work", str(tmp_path / "w"), "--out", str(out),
                         "--peer-python", str(tmp_path / "missing" / "python")],
                        capture_output=True, text=True, cwd=ROOT)
    assert cp.returncode == 0, cp.stderr
    text = out.read_text(encoding="utf-8")
    for want in ("## Machine", "| jobs |", "every run, seconds", "tongji.extract", "not installed", "MB/s"):
        assert want in text, want
