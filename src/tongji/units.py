"""Units: one pint registry of ``data/units_base.txt`` and ``data/units.txt``; surface forms from
``data/lexicon.yaml``.

Conversion factors to each output unit are computed through pint once, as ``Decimal``, so
that values stay exact (``130.23亿元`` is 13023000000, ``1亩`` is 2000/3 m²).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, getcontext
from functools import lru_cache
from importlib import resources

from .datafiles import read_yaml

getcontext().prec = 40

#: pint unit each output code is expressed in
CANONICAL = {
    "CNY": "yuan", "USD": "us_dollar", "EUR": "euro", "HKD": "hong_kong_dollar",
    "percent": "percent", "permille": "permille", "percentage_point": "percentage_point",
    "times": "multiple", "ratio": "ratio_part", "rank": "rank_place", "count": "item",
    "m": "meter", "m2": "meter ** 2", "m3": "meter ** 3", "kg": "kilogram", "kWh": "kilowatt_hour",
    "day": "day", "year": "year", "hour": "hour",
}


@dataclass(frozen=True)
class UnitInfo:
    surface: str      # as written: 亩, 平方公里, 个
    code: str         # output unit code
    factor: Decimal   # one surface unit in the output unit
    kind: str         # money | percent | measure | count | times | rank | ratio


def lexicon() -> dict:
    """data/lexicon.yaml (read once: read_yaml caches it)."""
    return read_yaml("data/lexicon.yaml")


@lru_cache(maxsize=2)
def registry(full: bool = False):
    """The pint registry of ``data/units_base.txt`` (the part of pint's default definitions
    the units rest on) extended by ``data/units.txt``; with ``full``, pint's whole default
    registry extended the same way (what the tests check the factors against)."""
    import pint

    data = resources.files("tongji").joinpath("data")
    with resources.as_file(data / "units_base.txt") as base, resources.as_file(data / "units.txt") as ours:
        ureg = pint.UnitRegistry(non_int_type=Decimal) if full else \
            pint.UnitRegistry(str(base), non_int_type=Decimal)
        ureg.load_definitions(str(ours))
    return ureg


def _kind(code: str) -> str:
    if code in ("CNY", "USD", "EUR", "HKD"):
        return "money"
    if code in ("percent", "permille", "percentage_point"):
        return "percent"
    if code in ("count", "times", "rank", "ratio"):
        return code
    return "measure"


@lru_cache(maxsize=2)
def unit_table(full_registry: bool = False) -> dict[str, UnitInfo]:
    """surface -> UnitInfo for every unit and classifier of the lexicon (factors from
    ``registry(full_registry)``)."""
    ureg = registry(full_registry)
    lex = lexicon()
    out: dict[str, UnitInfo] = {}
    for surface, (pint_unit, code) in lex["units"].items():
        q = ureg.Quantity(Decimal(1), pint_unit).to(CANONICAL[code])
        factor = Decimal(q.magnitude).normalize()
        out[str(surface)] = UnitInfo(str(surface), code, factor, _kind(code))
    for c in lex["classifiers"]:
        out.setdefault(str(c), UnitInfo(str(c), "count", Decimal(1), "count"))
    return out


def convert(value: Decimal, unit: UnitInfo) -> Decimal:
    """Value in the output unit, exact to 40 digits."""
    return value * unit.factor


def to_float(d: Decimal) -> float:
    """The nearest float64 to a Decimal (Decimal -> float rounds correctly)."""
    return float(d)
