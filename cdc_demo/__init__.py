"""The end-to-end demo and its tooling: the example source database, the Debezium
connector, a seeded workload, the convergence checker and the pipeline orchestration."""
