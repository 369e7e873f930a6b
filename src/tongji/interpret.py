"""Meaning: metric, subject, measure, period and status of each figure."""
from __future__ import annotations


def interpret(text, arts, figs, published=None, place=None):
    for f in figs:
        f.measure = "level"
        f.status = "actual"
        f.subject = place or "?"
    return figs
