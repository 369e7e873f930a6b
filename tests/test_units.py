"""The unit registry: data/units_base.txt (the part of pint's default definitions the units
rest on) gives every factor pint's full default registry gives."""
from decimal import Decimal

from tongji.units import CANONICAL, lexicon, registry, unit_table


def test_every_factor_is_the_one_of_pints_default_registry():
    small, full = unit_table(), unit_table(full_registry=True)
    assert small.keys() == full.keys()
    for surface, info in small.items():
        assert (info.code, info.kind) == (full[surface].code, full[surface].kind), surface
        assert str(info.factor) == str(full[surface].factor), surface


def test_every_output_unit_is_known_to_both_registries():
    for full in (False, True):
        ureg = registry(full)
        for unit in CANONICAL.values():
            assert ureg.Quantity(Decimal(1), unit).to(unit).magnitude == 1


def test_factors_are_exact():
    table = unit_table()
    assert table["亩"].factor == Decimal(2000) / Decimal(3)
    assert table["平方公里"].factor == Decimal(10) ** 6
    assert table["公顷"].factor == 10000
    assert table["吨"].factor == 1000
    assert {s for s, (u, _) in lexicon()["units"].items()} <= set(table)
