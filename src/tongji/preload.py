"""Imported by the fork server the worker processes start from: the modules a worker runs,
and the pipeline's tables (units through pint, patterns, vocabulary, metric catalogue) built
once there, so that every worker starts with them instead of building its own."""
from __future__ import annotations

import datetime as _dt

from . import build, dataset  # what the workers run (dataset: the observations' parts)
from .interpret import compile_words
from .pipeline import analyse

analyse("截至2021年9月底，全区完成投资12.5亿元，同比增长8.3%，新建项目7个。", _dt.date(2021, 10, 1))
compile_words()  # (the sentence above needs only some of them)

from .tables import columns_table

columns_table("articles", [])  # Arrow's first conversion from Python imports pandas: once, here

# the workers collect garbage as a build does (build.fewer_collections): what the server has
# made is frozen (their full collections skip it, and its pages stay shared with the server)
build.collect_less()
