"""`make bench`: the project measured against bare baselines in the same run (bench/README.md).

Each figure is a ratio of the project to a minimal app doing the same work on the same
stores, measured minutes apart on the same machine, so it compares within a run even though
machines and their load differ between runs.
"""
