"""End to end: data/raw to the tables, offsets, schemas, dates."""
import datetime as dt
import json

import pyarrow.parquet as pq
import pytest

from tongji.tables import arrow_schema
from conftest import RAW, ROOT


def test_every_figure_text_is_its_raw_span(built):
    figs = pq.read_table(built / "figures.parquet").to_pylist()
    assert len(figs) > 300
    raws = {p.stem: p.read_text(encoding="utf-8") for p in RAW.glob("*.txt")}
    for f in figs:
        assert raws[f["doc_id"]][f["start"]:f["end"]] == f["text"], f


@pytest.mark.parametrize("name", ["documents", "figures", "articles"])
def test_tables_have_exactly_the_declared_schema(built, name):
    t = pq.read_table(built / f"{name}.parquet")
    assert t.schema.equals(arrow_schema(name), check_metadata=False)
    doc = json.loads((ROOT / "schemas" / f"{name}.json").read_text(encoding="utf-8"))
    assert [f["name"] for f in doc["fields"]] == t.schema.names


def test_schema_files_are_well_formed():
    for p in (ROOT / "schemas").glob("*.json"):
        doc = json.loads(p.read_text(encoding="utf-8"))
        if "fields" not in doc:
            continue
        for f in doc["fields"]:
            assert {"name", "type", "nullable", "description"} <= set(f), (p.name, f)


# Publication dates checked by hand against the events each page reports.
EXPECTED_MONTH = {
    "000_7872ba8840b88e80": (2021, 1),   # 1月4日 2021年第一次党工委会议, 1月5日
    "001_8d85c9949e2b6f1c": (2021, 10),  # 10月7日 2021年第18次党政联席会议 … 10月11日
    "002_ef1b7a7f51ebf87b": (2021, 2),   # 2月27日 2021年第一批重点项目集中开工
    "003_e2ecd0b9fc1f0dbe": (2020, 12),  # header 2020年12月21日 星期一
    "004_21862cf62bd92120": (2017, 2),   # 2月11日 示范区2017年工作会议
}


def test_publication_dates_right_to_the_month(built):
    docs = {d["doc_id"]: d for d in pq.read_table(built / "documents.parquet").to_pylist()}
    assert set(docs) == set(EXPECTED_MONTH)
    for doc_id, (y, m) in EXPECTED_MONTH.items():
        pub = docs[doc_id]["published"]
        assert isinstance(pub, dt.date)
        assert (pub.year, pub.month) == (y, m), doc_id
        assert docs[doc_id]["status"] == "ok"
    assert docs["003_e2ecd0b9fc1f0dbe"]["published"] == dt.date(2020, 12, 21)
    assert docs["003_e2ecd0b9fc1f0dbe"]["published_source"] == "header"


def test_two_builds_are_byte_identical(tmp_path):
    from tongji.build import build

    build(RAW, tmp_path / "a")
    build(RAW, tmp_path / "b")
    for name in ("documents", "figures", "articles"):
        assert (tmp_path / "a" / f"{name}.parquet").read_bytes() == (tmp_path / "b" / f"{name}.parquet").read_bytes()


def test_pages_are_discovered_in_order_and_held_compactly(tmp_path):
    """A build keeps one compact record of every page (not a Path and a task per page): the
    same pages, paths and order as a sorted walk of the folder, in some tens of bytes a page."""
    from tongji.build import _Pages

    root = tmp_path / "in"
    for i in range(300):
        d = root / f"{i % 7:03d}" / ("sub" if i % 2 else "")
        d.mkdir(parents=True, exist_ok=True)
        (d / f"page-{i:04d}.txt").write_text("x" * i, encoding="utf-8")
    (root / "note.md").write_text("not a page", encoding="utf-8")
    pages = _Pages(root)
    want = sorted((p.relative_to(root).with_suffix("").as_posix(), p) for p in root.rglob("*.txt"))
    assert len(pages) == len(want) == 300
    assert [(d, str(p)) for d, p in pages] == [(d, str(p)) for d, p in want]
    assert [d for d, _ in want] == sorted(d for d, _ in want)
    assert list(pages.sizes) == [p.stat().st_size for _, p in want]
    held = len(pages.doc_ids) + len(pages.rels) + pages.sizes.itemsize * len(pages.sizes)
    assert held < 60 * len(pages)

    page = RAW / min(p.name for p in RAW.glob("*.txt"))
    one = _Pages(page)
    assert [(d, str(p)) for d, p in one] == [(page.stem, str(page))] and list(one.sizes) == [page.stat().st_size]
    (tmp_path / "empty").mkdir()
    assert list(_Pages(tmp_path / "empty")) == [] and len(_Pages(tmp_path / "empty")) == 0


def test_release_memory_keeps_what_is_in_use():
    import pyarrow as pa

    from tongji.output import release_memory

    t = pa.table({"a": list(range(100_000))})
    release_memory()
    assert t["a"][99_999].as_py() == 99_999
