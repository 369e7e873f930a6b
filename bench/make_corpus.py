"""A synthetic corpus for the benchmark, made from the sample pages of data/raw.

Each synthetic page is a new newspaper page: a dated header, then paragraphs drawn from all
the sample pages and shuffled; in every paragraph the Arabic numbers get new digits (same
shape: length, decimals, separators), dates get a new year, month and day, people's names
and the city's name are replaced. The text therefore reads like the sample pages without
repeating them verbatim, and the extractor meets new values everywhere.

    python bench/make_corpus.py OUT_DIR --mb 200 [--seed 7] [--raw data/raw]

Deterministic for a given seed, size and input. Writes OUT_DIR/pages/NNN/page-NNNNNN.txt
(UTF-8) and OUT_DIR/corpus.json (what was made).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
            "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉萍红娟建国文斌辉鹏宇浩凯健俊峰春梅海燕东晓林雪琳志新利兵"
CITIES = ("洛阳", "新乡", "许昌", "南阳", "安阳", "鹤壁", "濮阳", "漯河", "三门峡", "商丘", "周口", "驻马店",
          "信阳", "开封", "平顶山", "济源", "焦作")
WEEKDAYS = "一二三四五六日"

_PARA = re.compile(r"\n[ \t\u3000]*\n+")
_NUMBER = re.compile(r"\d+(?:[.,，]\d+)*")
_DATE = re.compile(r"((?:19|20)\d{2})(\s*年\s*)(\d{1,2})(\s*月\s*)(\d{1,2})(\s*日)")
_MONTH_DAY = re.compile(r"(?<![\d年])(\d{1,2})(\s*月\s*)(\d{1,2})(\s*日)")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?=\s*年)")
_NAME_LIST = re.compile(r"(?:[\u4e00-\u9fff]{2,3}、){2,}[\u4e00-\u9fff]{2,3}")
_NAME_AFTER = re.compile(r"(?:记者|通讯员|主任|书记|区长|市长|局长|主席|部长|区领导)\s*([\u4e00-\u9fff]{2,3}?)"
                         r"(?=[、，,。\s）)]|出席|主持|到|在|调研|强调|要求|指出|表示|一同|代表|讲话)")


def paragraphs(raw_dir: Path) -> list[str]:
    out = []
    for p in sorted(raw_dir.glob("*.txt")):
        text = p.read_text(encoding="utf-8", errors="replace")
        out += [x.strip("\n") for x in _PARA.split(text) if x.strip()]
    return out


def known_names(paras: list[str]) -> list[str]:
    """People's names of the sample pages (lists of leaders, reporters, officials)."""
    names = set()
    for t in paras:
        flat = re.sub(r"\s+", "", t)
        for m in _NAME_LIST.finditer(flat):
            items = m[0].split("、")
            if sum(x[0] in SURNAMES for x in items) >= len(items) - 1:
                names.update(x for x in items if x[0] in SURNAMES and len(x) in (2, 3))
        for m in _NAME_AFTER.finditer(flat):
            if m[1][0] in SURNAMES:
                names.add(m[1])
    return sorted(names, key=lambda s: (-len(s), s))


class Varier:
    def __init__(self, rng: random.Random, names: list[str]):
        self.rng = rng
        self.names_re = re.compile("|".join(map(re.escape, names))) if names else None

    def year(self) -> int:
        return self.rng.randint(2008, 2024)

    def number(self, m: re.Match) -> str:
        s = m[0]
        out = []
        first = True
        for i, c in enumerate(s):
            if c.isdigit():
                # keep a leading zero's place (0.5) but never start a number with a new 0
                nxt_is_sep = i + 1 < len(s) and not s[i + 1].isdigit()
                if first and (c != "0" or not nxt_is_sep):
                    out.append(str(self.rng.randint(1, 9)))
                else:
                    out.append(str(self.rng.randint(0, 9)))
                first = False
            else:
                out.append(c)
        return "".join(out)

    def full_date(self, m: re.Match) -> str:
        mo, d = self.rng.randint(1, 12), self.rng.randint(1, 28)
        return f"{self.year()}{m[2]}{mo}{m[4]}{d}{m[6]}"

    def month_day(self, m: re.Match) -> str:
        return f"{self.rng.randint(1, 12)}{m[2]}{self.rng.randint(1, 28)}{m[4]}"

    def name(self, _m=None) -> str:
        r = self.rng
        return r.choice(SURNAMES) + "".join(r.choice(GIVEN) for _ in range(r.choice((1, 2, 2))))

    def paragraph(self, text: str, city: str) -> str:
        text = _DATE.sub(self.full_date, text)
        text = _MONTH_DAY.sub(self.month_day, text)
        text = _YEAR.sub(lambda m: str(self.year()), text)
        # numbers other than the dates just written
        text = _NUMBER.sub(lambda m: m[0] if _is_date_part(text, m) else self.number(m), text)
        if self.names_re is not None:
            text = self.names_re.sub(self.name, text)
        return text.replace("焦作", city)


def _is_date_part(text: str, m: re.Match) -> bool:
    return text[m.end():m.end() + 2].lstrip()[:1] in ("年", "月", "日")


def header(rng: random.Random, city: str, page_no: int) -> str:
    d = dt.date(rng.randint(2008, 2024), rng.randint(1, 12), rng.randint(1, 28))
    return (f"{city}日报\nA{page_no:02d}│示范区导刊 {d.year}年{d.month}月{d.day}日 星期{WEEKDAYS[d.weekday()]}\n\n"
            f"■新闻热线：{rng.randint(1000000, 9999999)}│■编辑：{Varier(rng, []).name()}\n\n")


def make(out_dir: Path, mb: float, seed: int = 7, raw_dir: Path = ROOT / "data" / "raw",
         page_kb: tuple[int, int] = (8, 32), quiet: bool = False) -> dict:
    """Write the corpus; returns its description (also written to corpus.json)."""
    out_dir = Path(out_dir)
    target = int(mb * 1e6)
    want = {"mb": mb, "seed": seed, "raw": sorted(p.name for p in Path(raw_dir).glob("*.txt")),
            "page_kb": list(page_kb), "version": 1}
    info_path = out_dir / "corpus.json"
    if info_path.exists():
        info = json.loads(info_path.read_text(encoding="utf-8"))
        if info.get("params") == want:
            return info
    if out_dir.exists():
        shutil.rmtree(out_dir)
    pages_dir = out_dir / "pages"
    pages_dir.mkdir(parents=True)
    rng = random.Random(seed)
    paras = paragraphs(Path(raw_dir))
    if not paras:
        raise SystemExit(f"no pages in {raw_dir}")
    var = Varier(rng, known_names(paras))
    total = n = 0
    while total < target:
        city = rng.choice(CITIES)
        size = min(rng.randint(page_kb[0] * 1000, page_kb[1] * 1000), max(target - total, 2000))
        parts = [header(rng, city, rng.randint(1, 16))]
        got = len(parts[0].encode())
        order = list(range(len(paras)))
        rng.shuffle(order)
        for i in order:
            if got >= size:
                break
            p = var.paragraph(paras[i], city)
            parts.append(p + "\n\n")
            got += len(p.encode()) + 2
        data = "".join(parts).encode("utf-8")
        d = pages_dir / f"{n // 1000:03d}"
        d.mkdir(exist_ok=True)
        (d / f"page-{n:06d}.txt").write_bytes(data)
        total += len(data)
        n += 1
        if not quiet and n % 500 == 0:
            print(f"\rcorpus: {total / 1e6:.0f}/{mb:g} MB", end="", file=sys.stderr, flush=True)
    if not quiet:
        print(f"\rcorpus: {total / 1e6:.1f} MB, {n} pages -> {pages_dir}", file=sys.stderr)
    info = {"params": want, "pages": n, "bytes": total, "dir": str(pages_dir)}
    info_path.write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    return info


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="output folder (its pages/ holds the corpus)")
    ap.add_argument("--mb", type=float, default=200, help="size in MB of UTF-8 text (default 200)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--raw", default=str(ROOT / "data" / "raw"), help="sample pages (default data/raw)")
    a = ap.parse_args(argv)
    make(Path(a.out), a.mb, a.seed, Path(a.raw))
    return 0


if __name__ == "__main__":
    sys.exit(main())
