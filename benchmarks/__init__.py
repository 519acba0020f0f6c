"""Benchmarks run by `make bench`: each figure printed next to its baseline as a ratio (medians)."""
