"""The bare baselines: minimal apps doing the same work as the project, without the project.

They import nothing from the project: the ratios compare the project with the least that the
same libraries, on the same stores, need for the same job.
"""
