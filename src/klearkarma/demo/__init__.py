"""Synthetic marketplace data for demos and benchmarks."""
