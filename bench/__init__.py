"""Benchmarks of the shop: `python -m bench` (= `make bench`), results in bench/results/.

Each benchmark measures a baseline and its variants in the same run and reports ratios to the
baseline, so the numbers compare within a run even though machines differ between runs.
"""
