"""The package's data files (vocabulary, units, metric catalogue), read once per process."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml

# libyaml's parser when PyYAML was built with it (the wheels are): ten times faster to start
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=16)
def read_yaml(name: str):
    """The parsed YAML file ``name`` of the package (data/meaning.yaml, schemas/metrics.yaml);
    None when the file is missing. Cached: callers must not modify the result."""
    try:
        text = resources.files("tongji").joinpath(name).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return None
    return yaml.load(text, Loader=_LOADER)
