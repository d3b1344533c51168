"""The sink service: Kafka -> idempotent upserts with soft deletes into PostgreSQL."""
