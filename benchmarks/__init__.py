"""Benchmarks: each script prints ours beside a baseline and ends with one JSON line."""
