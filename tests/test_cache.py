"""The incremental cache: only changed pages are processed again; the tables never change."""
import shutil

import pytest

import tongji.build
import tongji.cache
from conftest import ROOT
from tongji.build import TABLES, build
from tongji.cache import Cache, tree_hash


@pytest.fixture()
def rules(monkeypatch):
    """A fixed rules version (the real one is a hash of the package, tested below), that a
    test can change to simulate new rules."""
    state = {"v": "rules-1"}
    monkeypatch.setattr(tongji.cache, "rules_version", lambda: state["v"])
    return state


@pytest.fixture()
def calls(monkeypatch):
    seen = []
    real = tongji.build.process

    def counting(doc_id, path, meta=None):
        seen.append(doc_id)
        return real(doc_id, path, meta)

    monkeypatch.setattr(tongji.build, "process", counting)
    return seen


def tables_bytes(d):
    return {name: (d / f"{name}.parquet").read_bytes() for name in TABLES}


def test_only_the_changed_page_is_processed_again(raw_copy, tmp_path, rules, calls):
    out = tmp_path / "out"
    s = build(raw_copy, out, jobs=1)
    assert (s.processed, s.cached) == (5, 0) and len(calls) == 5
    first = tables_bytes(out)

    calls.clear()
    s = build(raw_copy, out, jobs=1)
    assert (s.processed, s.cached, s.documents) == (0, 5, 5) and calls == []
    assert tables_bytes(out) == first

    page = sorted(raw_copy.glob("*.txt"))[2]
    with open(page, "a", encoding="utf-8") as f:
        f.write("\n\n全年实现地区生产总值128.5亿元，同比增长7.2%。\n")
    s = build(raw_copy, out, jobs=1)
    assert (s.processed, s.cached) == (1, 4)
    assert calls == [page.stem]

    fresh = tmp_path / "fresh"
    build(raw_copy, fresh, jobs=1, cache=False)
    assert tables_bytes(out) == tables_bytes(fresh)
    assert tables_bytes(out)["figures"] != first["figures"]


def test_new_rules_invalidate_every_entry(raw_copy, tmp_path, rules, calls):
    out = tmp_path / "out"
    build(raw_copy, out, jobs=1)
    rules["v"] = "rules-2"
    s = build(raw_copy, out, jobs=1)
    assert (s.processed, s.cached) == (5, 0)


def test_new_metadata_invalidates_that_page(raw_copy, tmp_path, rules):
    out = tmp_path / "out"
    build(raw_copy, out, jobs=1)
    page = sorted(raw_copy.glob("*.txt"))[0]
    (raw_copy / "manifest.csv").write_text(f"path,published,place\n{page.name},2021-01-06,示范区\n",
                                           encoding="utf-8")
    s = build(raw_copy, out, jobs=1)
    assert (s.processed, s.cached) == (1, 4)


def test_cache_hits_and_misses_mix_across_workers(raw_copy, tmp_path, rules):
    out = tmp_path / "out"
    build(raw_copy, out, jobs=1)
    pages = sorted(raw_copy.glob("*.txt"))
    for p in (pages[1], pages[3]):
        p.write_text(p.read_text(encoding="utf-8") + "\n\n新增就业岗位1200个。\n", encoding="utf-8")
    build(raw_copy, out, jobs=1)
    for p in (pages[0], pages[4]):
        p.write_text(p.read_text(encoding="utf-8") + "\n\n完成投资3.5亿元。\n", encoding="utf-8")
    fresh = tmp_path / "fresh"
    build(raw_copy, fresh, jobs=1, cache=False)
    s = build(raw_copy, out, jobs=2, chunk_bytes=20_000)  # hits read here, misses run in workers
    assert (s.processed, s.cached) == (2, 3)
    assert tables_bytes(out) == tables_bytes(fresh)


def test_removed_pages_leave_the_cache(raw_copy, tmp_path, rules):
    out = tmp_path / "out"
    build(raw_copy, out, jobs=1)
    sorted(raw_copy.glob("*.txt"))[0].unlink()
    s = build(raw_copy, out, jobs=1)
    assert s.documents == 4 and s.cached == 4
    c = Cache(out)
    try:
        assert len(c) == 4
    finally:
        c.close()


def test_no_cache_neither_reads_nor_writes(raw_copy, tmp_path, rules, calls):
    out = tmp_path / "out"
    s = build(raw_copy, out, jobs=1, cache=False)
    assert s.processed == 5 and not (out / ".cache").exists()
    build(raw_copy, out, jobs=1)
    calls.clear()
    s = build(raw_copy, out, jobs=1, cache=False)
    assert s.processed == 5 and len(calls) == 5


def test_rules_version_is_a_hash_of_the_package_files(tmp_path):
    pkg = tmp_path / "pkg"
    shutil.copytree(ROOT / "src" / "tongji", pkg, symlinks=False,
                    ignore=shutil.ignore_patterns("__pycache__"))
    h = tree_hash(pkg)
    assert h == tree_hash(pkg)
    (pkg / "__pycache__").mkdir(exist_ok=True)
    (pkg / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    assert tree_hash(pkg) == h
    lexicon = next((pkg / "data").iterdir())
    lexicon.write_bytes(lexicon.read_bytes() + b"\n")
    assert tree_hash(pkg) != h
    assert any((pkg / "schemas").glob("*.json"))  # the schemas count too (a link in the source tree)
    assert len(tongji.cache.rules_version()) == 64
