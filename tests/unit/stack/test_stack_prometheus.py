"""The local Prometheus's generated configuration and links (pure)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from cdc_stack import prometheus


def test_scrape_config_has_a_job_per_target_and_the_shipped_rules() -> None:
    config = prometheus.scrape_config({"cdc-sink": ["127.0.0.1:1"], "flink": []})
    assert config["rule_files"] == [str(prometheus.ALERTS)] and prometheus.ALERTS.exists()
    assert config["scrape_configs"] == [{"job_name": "cdc-sink",
                                         "static_configs": [{"targets": ["127.0.0.1:1"]}]}]


def test_links_are_graph_queries_and_the_alerts_page() -> None:
    links = dict(prometheus.links("http://h:9/classic"))
    assert links["alerts"] == "http://h:9/classic/alerts"
    query = parse_qs(urlsplit(links["lag seconds per group"]).query)
    assert query["g0.expr"] == ["max by (group) (cdc_consumer_lag_seconds)"]
    assert set(links) == {"lag seconds per group", "end-to-end latency p99", "DLQ records / s",
                          "alerts"}
