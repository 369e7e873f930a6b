import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The dataset built from data/raw once per test session."""
    from tongji.build import build

    out = tmp_path_factory.mktemp("dataset")
    build(RAW, out)
    return out


@pytest.fixture()
def raw_copy(tmp_path):
    d = tmp_path / "raw"
    shutil.copytree(RAW, d)
    return d
