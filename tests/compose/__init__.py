"""`make compose-test`: the container stack built and run for real, checked over HTTPS.

Not collected by pytest (no test_*.py here): it needs a container engine and several minutes,
so it runs as its own command after `make test` (`python -m tests.compose`, see __main__.py).
"""
