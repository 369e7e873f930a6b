"""Extraction throughput of one extractor over the pages of a folder, in this process.

    python bench/extract_speed.py tongji PAGES_DIR [--limit-mb N]
    python bench/extract_speed.py tongji-figures PAGES_DIR   (figures without their meaning)
    bench/.venv-peer/bin/python bench/extract_speed.py jionlp PAGES_DIR [--limit-mb N]

Reads every ``*.txt`` below PAGES_DIR (sorted, UTF-8) first, warms the extractor up on one
page, then times only the extraction calls. Prints one JSON object: bytes (UTF-8 text),
pages, seconds, cpu_seconds, mb_per_s, mb_per_cpu_s, items (what the extractor found), peak_rss_mb, version.
Imports nothing from tongji unless asked for tongji, so that it also runs in the peer's
separate environment.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import resource
import sys
import time
from pathlib import Path


def load_pages(pages_dir: Path, limit_mb: float | None) -> list[str]:
    texts, total = [], 0
    for p in sorted(Path(pages_dir).rglob("*.txt")):
        data = p.read_bytes()
        texts.append(data.decode("utf-8"))
        total += len(data)
        if limit_mb and total >= limit_mb * 1e6:
            break
    return texts


def extractor(name: str):
    if name == "tongji":
        import tongji

        return tongji.extract, tongji.__version__
    if name == "tongji-figures":
        import tongji

        return (lambda text: tongji.extract(text, meaning=False)), tongji.__version__
    if name == "jionlp":
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            import jionlp  # prints a banner on import

        fn = getattr(jionlp, "extract_money", None) or jionlp.ner.extract_money
        return fn, jionlp.__version__
    raise SystemExit(f"unknown extractor {name!r}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("extractor", choices=["tongji", "tongji-figures", "jionlp"])
    ap.add_argument("pages", help="folder of *.txt pages")
    ap.add_argument("--limit-mb", type=float, help="only the first pages, up to this many MB")
    a = ap.parse_args(argv)
    texts = load_pages(Path(a.pages), a.limit_mb)
    fn, version = extractor(a.extractor)
    if texts:
        fn(texts[0])  # warm-up: rules, dictionaries, compiled patterns
    n_bytes = sum(len(t.encode("utf-8")) for t in texts)
    items = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for t in texts:
        items += len(fn(t))
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"extractor": a.extractor, "version": version, "bytes": n_bytes,
                      "pages": len(texts), "seconds": seconds, "cpu_seconds": cpu,
                      "mb_per_s": n_bytes / 1e6 / max(seconds, 1e-9),
                      "mb_per_cpu_s": n_bytes / 1e6 / max(cpu, 1e-9), "items": items,
                      "peak_rss_mb": rss}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
