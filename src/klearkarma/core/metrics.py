"""Prometheus metrics: one registry per process, scraped at ``/metrics``."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "klearkarma_http_requests_total",
    "HTTP requests handled, by route template, method and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "klearkarma_http_request_duration_seconds",
    "HTTP request latency by route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
JOBS_TOTAL = Counter(
    "klearkarma_jobs_total",
    "Jobs enqueued by this process and jobs run by its workers, by task and outcome.",
    ["task", "outcome"],
    registry=REGISTRY,
)
JOB_DURATION = Histogram(
    "klearkarma_job_duration_seconds",
    "Job run time by task.",
    ["task"],
    registry=REGISTRY,
)
JOB_QUEUE = Gauge(
    "klearkarma_job_queue",
    "Jobs in the database queue by status (read at scrape time, cluster-wide).",
    ["status"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "klearkarma_rate_limited_total",
    "Requests refused by the rate limiter, by route class.",
    ["route_class"],
    registry=REGISTRY,
)
