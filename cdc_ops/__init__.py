"""Operations around the pipeline: lag exporter, freshness check, OpenLineage events.

Everything here observes the pipeline from outside (Kafka's committed offsets, the
warehouse's tables) so it keeps working while the component it watches is down.
"""
