"""feedpub benchmarks (`make bench` runs `python -m bench`): figures, not tests."""
