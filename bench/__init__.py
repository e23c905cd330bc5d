"""Podium's benchmark suite: `python -m bench --help` (see docs/performance.md)."""
