"""Developer and CI helper scripts (run from the repository root)."""
