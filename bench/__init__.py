"""Benchmark harness: our service against PostGraphile 5 on the same database."""
