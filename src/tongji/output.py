"""Output: deterministic, atomic Parquet files."""
from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .tables import arrow_schema

JOURNAL = ".commit.json"
ROW_GROUP_ROWS = 32_768  # rows per row group of streamed tables (fixed: the bytes must not depend on chunking)
_PARQUET = {"compression": "zstd", "use_dictionary": True, "write_statistics": True}


def temp_name(final: Path) -> Path:
    """A fresh temporary name beside final, which ``recover`` removes once the process that
    made it is gone. The file is made by open(), so it gets the usual permissions."""
    final = Path(final)
    return final.parent / f".{final.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp"


_TMP_NAME = re.compile(r"^\..+\.(\d+)\.[0-9a-f]+\.tmp$")  # what temp_name makes


class Stage:
    """The files of one build, written beside their targets and renamed into place together.

    ``commit`` first records every (temporary, final) pair in ``.commit.json``, then renames
    them back to back, then removes the journal: a build killed during the renames is rolled
    forward by ``recover`` at the start of the next one, so no build leaves tables of two
    builds mixed beyond it."""

    def __init__(self, out_dir: Path):
        self.out_dir = Path(out_dir)
        self.pairs: list[tuple[Path, Path]] = []

    def temp_for(self, final: Path) -> Path:
        """A temporary file for final, renamed into place by ``commit``."""
        tmp = temp_name(final)
        self.pairs.append((tmp, Path(final)))
        return tmp

    def commit(self) -> None:
        journal = self.out_dir / JOURNAL
        write_text(json.dumps([[str(a), str(b)] for a, b in self.pairs]), journal)
        for tmp, final in self.pairs:
            os.replace(tmp, final)
        journal.unlink()
        self.pairs = []

    def abort(self) -> None:
        for tmp, _ in self.pairs:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        self.pairs = []


def recover(out_dir: Path) -> None:
    """Finish the renames of a build killed while committing, and remove the temporary files
    left by builds that are no longer running."""
    out_dir = Path(out_dir)
    journal = out_dir / JOURNAL
    if journal.exists():
        try:
            pairs = json.loads(journal.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pairs = []
        for tmp, final in pairs:
            if os.path.exists(tmp):
                os.replace(tmp, final)
        journal.unlink(missing_ok=True)
    if not out_dir.is_dir():
        return
    for p in out_dir.iterdir():
        m = _TMP_NAME.match(p.name)
        if m and not _alive(int(m.group(1))):
            p.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_parquet(table: pa.Table, path: Path, stage: Stage | None = None) -> None:
    """Write a table so that the same rows give the same bytes, and a reader never sees a
    half-written file: a temporary file beside the target, then an atomic rename (at once,
    or with the rest of ``stage`` when one is given)."""
    _write_atomic(path, stage, lambda tmp: pq.write_table(table, tmp, row_group_size=256_000, **_PARQUET))


def _write_atomic(path: Path, stage: Stage | None, write) -> None:
    """write(tmp) into a temporary file beside path, then rename it into place (at once, or
    with the rest of stage)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = stage.temp_for(path) if stage is not None else temp_name(path)
    if stage is not None:
        write(tmp)  # the stage removes it if the build fails
        return
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def release_memory() -> None:
    """Hand freed memory back to the system. Arrow's memory pool and the C library's
    allocator both keep what is freed for reuse, scattered among what is still in use, so a
    process that once needed much keeps much: called between the steps of a build, whose
    peaks would otherwise add up, and from time to time while it streams its tables."""
    pa.default_memory_pool().release_unused()
    if _malloc_trim is not None:
        _malloc_trim(0)


def _find_malloc_trim():
    """glibc's malloc_trim (returns the free pages of every arena), where there is one."""
    try:
        import ctypes

        trim = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError, TypeError):  # not glibc (macOS, musl, Windows)
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


_malloc_trim = _find_malloc_trim()


def write_text(text: str, path: Path, stage: Stage | None = None) -> None:
    """Atomic text write (datapackage.json, reports)."""
    _write_atomic(path, stage, lambda tmp: tmp.write_text(text, encoding="utf-8"))


class TableWriter:
    """Streams Arrow tables into one Parquet file, in row groups of exactly ``rows`` rows
    (the last one shorter): the bytes depend on the rows only, never on how they arrived.
    Written to a temporary file beside the target and renamed on ``close``."""

    COMPACT_AT = 16  # pending tables joined into one beyond this many

    def __init__(self, name: str, path: Path, rows: int = ROW_GROUP_ROWS, stage: Stage | None = None):
        self.schema = arrow_schema(name)
        self.path = Path(path)
        self.rows = rows
        self.stage = stage
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = str(stage.temp_for(self.path) if stage is not None else temp_name(self.path))
        self.writer = pq.ParquetWriter(self.tmp, self.schema, **_PARQUET)
        self.pending: list[pa.Table] = []
        self.n_pending = 0
        self.n_rows = 0

    def add(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        self.pending.append(table)
        self.n_pending += table.num_rows
        self.n_rows += table.num_rows
        if len(self.pending) > self.COMPACT_AT and self.n_pending < self.rows:
            # a row group of a small table gathers the rows of hundreds of chunks (32,768
            # documents: 670 chunks of a 1 GB corpus): keep them as one table, not as hundreds
            # of tables of small buffers each
            self.pending = [pa.concat_tables(self.pending).combine_chunks()]
        while self.n_pending >= self.rows:
            t = pa.concat_tables(self.pending)
            self._write(t.slice(0, self.rows))
            rest = t.slice(self.rows)
            self.pending, self.n_pending = ([rest] if rest.num_rows else []), rest.num_rows

    def _write(self, t: pa.Table) -> None:
        self.writer.write_table(t.combine_chunks(), row_group_size=self.rows)

    def close(self) -> None:
        if self.n_pending or self.n_rows == 0:
            self._write(pa.concat_tables(self.pending) if self.pending else self.schema.empty_table())
        self.pending, self.n_pending = [], 0
        self.writer.close()
        if self.stage is None:
            os.replace(self.tmp, self.path)

    def abort(self) -> None:
        try:
            self.writer.close()
        finally:
            try:
                os.unlink(self.tmp)
            except FileNotFoundError:
                pass
