"""Command line: ``tongji build | extract | eval | series | report``."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__


class _Parser(argparse.ArgumentParser):
    """Bad arguments: one line on stderr (``tongji build: error: ...``) and exit code 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _iso_date(text: str) -> str:
    import datetime as dt

    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad date {text!r} (want YYYY-MM-DD)") from None
    return text


def _check_paths(args) -> None:
    """Input paths that cannot be read stop the command before any work (exit code 2)."""
    import os

    from .ingest import InputError

    if args.command == "build":
        src = Path(args.input)
        if not src.exists():
            raise InputError(f"input not found: {src}")
        if src.is_dir():
            try:
                with os.scandir(src):
                    pass
            except OSError as e:
                raise InputError(f"cannot read the input folder {src}: {e.strerror or e}") from None
        else:
            try:
                with open(src, "rb"):
                    pass
            except OSError as e:
                raise InputError(f"cannot read the input file {src}: {e.strerror or e}") from None
        out = Path(args.out)
        if out.exists() and not out.is_dir():
            raise InputError(f"--out {out} exists and is not a folder")
    elif args.command == "extract" and args.file and args.file != "-":
        f = Path(args.file)
        if not f.exists():
            raise InputError(f"input not found: {f}")
        if f.is_dir():
            raise InputError(f"{f} is a folder, not a text file")
    elif args.command in ("report", "series"):
        d = Path(args.dir)
        if not d.is_dir():
            raise InputError(f"dataset folder not found: {d}" if not d.exists()
                             else f"{d} is not a folder (want the --out of tongji build)")


def _print_page_errors(out: Path, limit: int = 20) -> None:
    """The pages in error (documents.status == 'error'), one line each, on stderr."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    docs = pq.read_table(out / "documents.parquet", columns=["doc_id", "path", "status", "error"])
    bad = docs.filter(pc.equal(docs["status"], "error")).to_pylist()
    for d in bad[:limit]:
        print(f"tongji build: page in error: {d['path']}: {d['error']}", file=sys.stderr)
    if len(bad) > limit:
        print(f"tongji build: ... and {len(bad) - limit} more pages in error "
              f"(documents.parquet, status = 'error')", file=sys.stderr)


def _json_default(o):
    return o.isoformat() if hasattr(o, "isoformat") else str(o)


def cmd_build(args) -> int:
    from .build import build

    engine = args.engine or ("dask" if args.scheduler else "local")
    if engine == "local" and args.scheduler:
        print("tongji: error: --scheduler needs --engine dask", file=sys.stderr)
        return 2
    if args.jobs is not None and args.jobs < 1:
        print("tongji: error: --jobs must be at least 1", file=sys.stderr)
        return 2
    s = build(Path(args.input), Path(args.out), jobs=args.jobs, engine=engine,
              scheduler=args.scheduler, cache=not args.no_cache)
    print(f"tongji build: {s.line()} -> {args.out}", file=sys.stderr)
    if s.errors:
        _print_page_errors(Path(args.out))
    if args.strict and s.errors:
        return 1
    return 0


def cmd_extract(args) -> int:
    from .ingest import decode
    from .pipeline import extract
    from .tables import figure_row

    data = Path(args.file).read_bytes() if args.file and args.file != "-" else sys.stdin.buffer.read()
    text, _ = decode(data) if data.strip() else ("", "")
    doc_id = Path(args.file).stem if args.file and args.file != "-" else "stdin"
    out = sys.stdout
    for i, f in enumerate(extract(text, published=args.published, place=args.place)):
        row = figure_row(doc_id, i + 1, f, None)
        out.write(json.dumps(row, ensure_ascii=False, default=_json_default) + "\n")
    return 0


def cmd_eval(args) -> int:
    from .evaluate import main as eval_main

    return eval_main(args)


def cmd_series(args) -> int:
    from .series import main as series_main

    return series_main(args)


def cmd_report(args) -> int:
    from .report import main as report_main

    return report_main(args)


def main(argv: list[str] | None = None) -> int:
    p = _Parser(prog="tongji", description=__doc__)
    p.add_argument("--version", action="version", version=f"tongji {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build the dataset tables from a folder of pages")
    b.add_argument("input", help="folder of *.txt pages (searched recursively), or one file")
    b.add_argument("--out", required=True, help="output folder")
    b.add_argument("--strict", action="store_true", help="exit 1 when any page is in error")
    b.add_argument("--jobs", "-j", type=int, metavar="N",
                   help="worker processes (default: every core; 1 runs in this process); "
                        "with --engine dask and no --scheduler, the workers of the local cluster")
    b.add_argument("--engine", choices=["local", "dask"],
                   help="where the pages are processed: local processes (default) or dask.distributed")
    b.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (implies --engine dask; "
                        "default: a LocalCluster)")
    b.add_argument("--no-cache", action="store_true",
                   help="process every page again and neither read nor write OUT/.cache")
    b.set_defaults(func=cmd_build)

    r = sub.add_parser("series", help="print the wide table (metric x period) of a built dataset")
    r.add_argument("dir", help="dataset folder (the --out of tongji build)")
    r.add_argument("--subject", help="only this subject")
    r.add_argument("--metric", help="only this metric (id or text)")
    r.add_argument("--format", choices=["table", "csv"], default="table")
    r.set_defaults(func=cmd_series)

    h = sub.add_parser("report", help="write DIR/report/index.html to review every figure in its place")
    h.add_argument("dir", help="dataset folder (the --out of tongji build)")
    h.set_defaults(func=cmd_report)

    e = sub.add_parser("extract", help="print the figures of one text as JSON lines")
    e.add_argument("file", nargs="?", help="text file (stdin when absent or -)")
    e.add_argument("--published", type=_iso_date,
                   help="publication date YYYY-MM-DD (resolves 今年, 去年)")
    e.add_argument("--place", help="home place that 全区/本区 refer to")
    e.set_defaults(func=cmd_extract)

    v = sub.add_parser("eval", help="score figures against a gold folder (GUIDE format)")
    v.add_argument("gold", help="folder of gold *.jsonl files")
    v.add_argument("--figures", help="figures.parquet or .jsonl to score (default: extract from --raw)")
    v.add_argument("--raw", default="data/raw", help="folder of the pages, when --figures is absent")
    v.add_argument("--show", type=int, default=20, help="how many misses and false alarms to list")
    v.add_argument("--json", action="store_true", help="print the scores as JSON")
    v.set_defaults(func=cmd_eval)

    args = p.parse_args(argv)
    from .ingest import DecodeError, InputError

    # Bad input stops a command with exit code 2 and one line on stderr, never a traceback:
    # a missing or unreadable input, a malformed manifest.csv (the message names the line),
    # a file that is no text for `extract`, a dataset folder without its tables.
    try:
        _check_paths(args)
        return args.func(args)
    except InputError as e:
        print(f"tongji: error: {e}", file=sys.stderr)
        return 2
    except DecodeError as e:
        print(f"tongji: error: {getattr(args, 'file', None) or 'stdin'}: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        where = f": {e.filename}" if getattr(e, "filename", None) else ""
        print(f"tongji: error: {e.strerror or e}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tongji: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
