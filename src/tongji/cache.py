"""Incremental builds: a cache of per-document results in ``OUT/.cache/``.

A document's entry is found again only when all of these are unchanged:

- its content: the sha256 of the page's bytes;
- the rules: ``rules_version()``, a hash of every source and data file of the installed
  tongji package (code, lexicon, units, schemas), so any change to the rules invalidates
  every entry;
- its metadata (manifest date, place, source), its doc_id and its path.

Entries hold the document's rows (compressed pickle of the ``DocResult``), so a rebuild
writes the same tables, byte for byte, whether a row was computed or read back. Entries of
pages that left the input are dropped at the end of a complete build.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import sqlite3
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import pyarrow as pa

FORMAT = "tongji-cache-3"  # 2: figures and articles stored as columns; 3: blobs in zstd
CACHE_DIR = ".cache"
_SKIP_DIRS = {"__pycache__"}
_SKIP_SUFFIXES = {".pyc", ".pyo"}


def tree_hash(root: Path) -> str:
    """sha256 over the files below root (relative path and bytes, in path order), following
    symbolic links (the package's ``schemas`` may be one) and skipping compiled files."""
    root = Path(root)
    h = hashlib.sha256(FORMAT.encode())
    files = []
    for d, dirs, names in os.walk(root, followlinks=True):
        dirs[:] = sorted(x for x in dirs if x not in _SKIP_DIRS and not x.startswith("."))
        for n in names:
            if Path(n).suffix not in _SKIP_SUFFIXES and not n.startswith("."):
                p = Path(d) / n
                files.append((p.relative_to(root).as_posix(), p))
    for rel, p in sorted(files):
        data = p.read_bytes()
        h.update(rel.encode() + b"\0")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


@lru_cache(maxsize=1)
def rules_version() -> str:
    """The version of the rules: a hash of every source and data file of the package."""
    return tree_hash(Path(__file__).resolve().parent)


def meta_text(meta: dict | None) -> str:
    return json.dumps(meta or {}, sort_keys=True, ensure_ascii=False, default=str)


def entry_key(doc_id: str, path: str, meta: dict | None, sha256: str, rules: str | None = None) -> str:
    """The key of one document's entry: content hash + rules version + metadata."""
    h = hashlib.sha256()
    for part in (rules or rules_version(), sha256, doc_id, str(path), meta_text(meta)):
        h.update(part.encode("utf-8") + b"\0")
    return h.hexdigest()


def file_sha256(path: str | Path) -> str | None:
    """sha256 of a file's bytes; None when it cannot be read."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
    except OSError:
        return None
    return h.hexdigest()


_CODEC = "zstd"  # Arrow's (level 1): a third of the CPU of zlib at level 1, blobs 7% larger


def dumps(result) -> bytes:
    """A result as a blob: the length of its pickle, then the pickle compressed."""
    data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    return len(data).to_bytes(8, "little") + pa.compress(data, _CODEC, asbytes=True)


def loads(blob: bytes):
    size = int.from_bytes(blob[:8], "little")
    return pickle.loads(pa.decompress(memoryview(blob)[8:], size, _CODEC, asbytes=True))


class Cache:
    """One SQLite file, ``OUT/.cache/results.sqlite``: doc_id → (key, blob).

    Only the process that writes the tables opens it (never the workers)."""

    def __init__(self, out_dir: Path):
        self.dir = Path(out_dir) / CACHE_DIR
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / "results.sqlite"
        self.db = sqlite3.connect(self.path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS info (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
        row = self.db.execute("SELECT v FROM info WHERE k = 'format'").fetchone()
        if row is None or row[0] != FORMAT:
            self.db.execute("DROP TABLE IF EXISTS docs")
            self.db.execute("INSERT OR REPLACE INTO info VALUES ('format', ?)", (FORMAT,))
        self.db.execute("CREATE TABLE IF NOT EXISTS docs "
                        "(doc_id TEXT PRIMARY KEY, key TEXT NOT NULL, blob BLOB NOT NULL)")
        self.db.commit()
        self._pending = 0

    def entry(self, doc_id: str) -> tuple[str, bytes] | None:
        """The stored (key, blob) of doc_id, None when there is none."""
        return self.db.execute("SELECT key, blob FROM docs WHERE doc_id = ?", (doc_id,)).fetchone()

    def put_many(self, entries: list[tuple[str, str, bytes]]) -> None:
        """Store (doc_id, key, blob) entries, replacing older entries of the same doc_id."""
        if not entries:
            return
        self.db.executemany("INSERT OR REPLACE INTO docs (doc_id, key, blob) VALUES (?, ?, ?)", entries)
        self._pending += len(entries)
        if self._pending >= 2000:
            self.commit()

    def commit(self) -> None:
        self.db.commit()
        self._pending = 0

    def prune(self, keep: Iterable[str]) -> int:
        """Drop the entries of every doc_id not in ``keep``; returns how many went."""
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS keep (doc_id TEXT PRIMARY KEY)")
        self.db.execute("DELETE FROM keep")
        self.db.executemany("INSERT OR IGNORE INTO keep VALUES (?)", ((d,) for d in keep))
        n = self.db.execute("DELETE FROM docs WHERE doc_id NOT IN (SELECT doc_id FROM keep)").rowcount
        self.db.execute("DROP TABLE keep")
        self.commit()
        return n

    def __len__(self) -> int:
        return self.db.execute("SELECT count(*) FROM docs").fetchone()[0]

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self.db.close()
