"""The worker's Prometheus metrics: counters and histograms as batches happen, gauges read
from the runners' in-memory status at scrape time (always current, no cost between scrapes)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric

from workers.status import RunnerStatus, State

EVENTS = Counter(
    "shop_projection_events", "Events applied to the projection's view", ["projection"]
)
BATCH_EVENTS = Histogram(
    "shop_projection_batch_events",
    "Events per committed batch",
    ["projection"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000),
)
BATCH_SECONDS = Histogram(
    "shop_projection_batch_seconds",
    "Time to apply and commit one batch (SQL transaction or Redis MULTI/EXEC)",
    ["projection"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ERRORS = Counter(
    "shop_projection_errors",
    "Failed attempts to apply a batch (kind: event = an event's handler or row; store = outage)",
    ["projection", "kind"],
)


class WorkerCollector:
    """Gauges of one worker process's runners and of the log head they follow."""

    def __init__(self, statuses: Callable[[], Iterable[RunnerStatus]], head: Callable[[], int]):
        self.statuses = statuses
        self.head = head

    def collect(self) -> Iterator[Metric]:
        label = ["projection"]
        head = GaugeMetricFamily("shop_event_store_head", "Newest notification id in the log")
        head.add_metric([], self.head())
        yield head
        gauges = {
            "position": GaugeMetricFamily(
                "shop_projection_position", "Last event applied or passed", labels=label
            ),
            "lag_events": GaugeMetricFamily(
                "shop_projection_lag_events",
                "Events in the log the view has not passed",
                labels=label,
            ),
            "lag_seconds": GaugeMetricFamily(
                "shop_projection_lag_seconds",
                "Age of the oldest event the view has not applied: from the last applied event's"
                " time while catching up, else since the view was seen behind (0: caught up)",
                labels=label,
            ),
            "events_per_second": GaugeMetricFamily(
                "shop_projection_events_per_second",
                "Events applied per second over the last 10 s",
                labels=label,
            ),
            "failed_position": GaugeMetricFamily(
                "shop_projection_failed_position",
                "Position of the event the projection is stopped on (0: none)",
                labels=label,
            ),
        }
        state = GaugeMetricFamily(
            "shop_projection_state", "1 for the runner's current state", labels=[*label, "state"]
        )
        lease = GaugeMetricFamily(
            "shop_projection_lease_held",
            "1 when this worker holds the projection's lease, labelled with the holder",
            labels=[*label, "holder"],
        )
        failure = GaugeMetricFamily(
            "shop_projection_failure_info",
            "The event the projection is stopped on and the error (present only while stopped)",
            labels=[*label, "position", "event_type", "aggregate_id", "error"],
        )
        for status in self.statuses():
            name = [status.name]
            gauges["position"].add_metric(name, status.position)
            gauges["lag_events"].add_metric(name, status.lag_events)
            gauges["lag_seconds"].add_metric(name, status.lag_seconds)
            gauges["events_per_second"].add_metric(name, status.events_per_second)
            failed = status.failed
            gauges["failed_position"].add_metric(name, failed.position if failed else 0)
            for each in State.ALL:
                state.add_metric([status.name, each], 1 if status.state == each else 0)
            lease.add_metric([status.name, status.worker or ""], 1 if status.worker else 0)
            if failed is not None:
                error = (status.last_error or "")[:200]
                failure.add_metric(
                    [status.name, str(failed.position), failed.type, failed.originator_id, error],
                    1,
                )
        yield from gauges.values()
        yield state
        yield lease
        yield failure


class _ProcessMetrics:
    """Everything in the process-wide registry (counters, histograms, process metrics)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def worker_registry(collector: WorkerCollector) -> CollectorRegistry:
    """A registry for the worker's /metrics: this worker's gauges plus the process-wide
    metrics (several workers in one process, as in tests, each get their own gauges)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    registry.register(_ProcessMetrics())
    return registry
