"""Benchmarks of the Bandwidth Voice integration (not part of the test suite)."""
