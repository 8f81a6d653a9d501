"""What an operator can scrape: jobs, waits, upstream latency, errors, refusals and spend, in Prometheus' format.

Labels never carry user ids, prompts or server ids, and a model a member typed that nobody offers is ``other``:
every label has a bounded set of values.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from ..catalogue.prices import PriceTable
from ..model import Job

# Seconds: from well under a second (acknowledging) to many minutes (waiting in a busy queue, high quality).
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800)
# Seconds to admit a request: well under a millisecond in memory, a few round trips to PostgreSQL, more in a burst.
ADMISSION_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5)


class Metrics:
    """One process's metrics, in their own registry (several bots in one test process do not mix)."""

    def __init__(self, known_model: Callable[[str], bool] = lambda model: True) -> None:
        self.known_model = known_model
        self.registry = CollectorRegistry()
        registry = self.registry
        self.jobs = Counter("imagine_jobs", "Jobs ended, by final state", ["state", "model"], registry=registry)
        self.queued = Gauge("imagine_jobs_queued", "Jobs waiting in the queue", registry=registry)
        self.running = Gauge("imagine_jobs_running", "Jobs being drawn", registry=registry)
        self.wait = Histogram("imagine_wait_seconds", "Queued to started", buckets=BUCKETS, registry=registry)
        self.upstream = Histogram(
            "imagine_upstream_seconds", "Image API calls", ["model", "outcome"], buckets=BUCKETS, registry=registry
        )
        self.delivered = Counter("imagine_images_delivered", "Images posted", ["model"], registry=registry)
        self.refusals = Counter("imagine_refusals", "Prompts refused, by reason", ["reason"], registry=registry)
        self.errors = Counter(
            "imagine_upstream_errors", "Image API failures, by kind", ["model", "kind"], registry=registry
        )
        self.acknowledge = Histogram(
            "imagine_acknowledge_seconds", "Interaction received to acknowledged", buckets=BUCKETS, registry=registry
        )
        self.admission = Histogram(
            "imagine_admission_seconds",
            "Requests checked and counted against the limits (admitted or refused)",
            buckets=ADMISSION_BUCKETS,
            registry=registry,
        )
        self.spend = Counter(
            "imagine_estimated_spend_dollars", "Estimated cost of the images made", ["model"], registry=registry
        )
        self.gateway = Gauge(
            "imagine_gateway_latency_seconds", "Heartbeat latency of each shard", ["shard"], registry=registry
        )
        self.guilds = Gauge("imagine_guilds", "Servers the bot is in", registry=registry)
        self.describes = Counter(
            "imagine_describes", "/describe calls to the chat model, by outcome", ["outcome"], registry=registry
        )
        self.videos = Counter(
            "imagine_videos", "Videos made from images, by model and how they ended", ["model", "outcome"],
            registry=registry,
        )  # fmt: skip

    def model(self, name: str) -> str:
        """The model as a label: itself when offered, else ``other``."""
        return name if self.known_model(name) else "other"

    def job_ended(self, job: Job, prices: PriceTable) -> None:
        """Count a job once, when it ends, by its final state; its images and their estimated cost."""
        model = self.model(job.request.model)
        self.jobs.labels(state=str(job.state), model=model).inc()
        if job.request.makes_video:
            self.videos.labels(model=model, outcome=str(job.state)).inc()
        if job.images_delivered:
            self.delivered.labels(model=model).inc(job.images_delivered - job.images_withheld)
        if job.images_made:
            self.spend.labels(model=model).inc(prices.estimate(job.request, job.images_made))

    def render(self) -> bytes:
        """The text format a Prometheus scrape reads."""
        return generate_latest(self.registry)
