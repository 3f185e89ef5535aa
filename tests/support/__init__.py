"""Helpers shared by the reliability tests and the benchmarks: request counting and fault injection."""
