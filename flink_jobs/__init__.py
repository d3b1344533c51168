"""PyFlink jobs: pipeline wiring at the edge, pure per-record logic in cdc_core."""
