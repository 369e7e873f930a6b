"""Output: deterministic, atomic Parquet files."""
from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_MODE = 0o666 & ~_umask()  # what open() would give a new file: mkstemp's is owner-only


JOURNAL = ".commit.json"
_TMP_NAME = re.compile(r"^\..+\.(\d+)\.[0-9a-f]+\.tmp$")


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
        final = Path(final)
        tmp = final.parent / f".{final.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp"
        self.pairs.append((tmp, final))
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
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if stage is not None:
        tmp = stage.temp_for(path)
        pq.write_table(table, tmp, compression="zstd", use_dictionary=True,
                       write_statistics=True, row_group_size=256_000)
        os.chmod(tmp, _MODE)
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd", use_dictionary=True,
                       write_statistics=True, row_group_size=256_000)
        os.chmod(tmp, _MODE)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
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
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if stage is not None:
        tmp = stage.temp_for(path)
        tmp.write_text(text, encoding="utf-8")
        os.chmod(tmp, _MODE)
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, _MODE)
    os.replace(tmp, path)
