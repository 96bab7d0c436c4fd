"""Benchmarks of ome-zarr-validator: ``python -m bench --help`` (recorded in bench/README.md)."""
