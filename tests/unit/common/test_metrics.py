"""The metrics facade: the same calls land as CloudWatch EMF lines on Lambda and as Prometheus
series elsewhere; an undeclared metric is a programming error, a failing sink is not the
caller's."""

from __future__ import annotations

import json

import pytest
from prometheus_client.parser import text_string_to_metric_families

from viewra.common import metrics
from viewra.common.settings import Settings, get_settings


@pytest.fixture
def sink(monkeypatch):
    """Choose the sink through the environment, as a deployment would."""

    def choose(**env: str) -> None:
        for var in ("VIEWRA_METRICS_SINK", "AWS_LAMBDA_FUNCTION_NAME", "PROMETHEUS_MULTIPROC_DIR"):
            monkeypatch.delenv(var, raising=False)
        for var, val in env.items():
            monkeypatch.setenv(var, val)
        get_settings.cache_clear()
        metrics.reset()

    yield choose
    get_settings.cache_clear()
    metrics.reset()


def samples(text: bytes) -> dict:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text.decode())
        for s in family.samples
    }


def test_auto_is_emf_on_lambda_and_prometheus_elsewhere() -> None:
    assert metrics.sink_for(Settings(lambda_function_name="viewra-scan")) == "emf"
    assert metrics.sink_for(Settings()) == "prometheus"
    assert metrics.sink_for(Settings(metrics_sink="OFF", lambda_function_name="x")) == "off"


def test_on_lambda_each_record_is_one_emf_line_with_its_labels_as_dimensions(sink, capsys):
    sink(AWS_LAMBDA_FUNCTION_NAME="viewra-api")
    metrics.count("decisions", method="Transcode")
    metrics.observe("api_request_seconds", 0.25, route="/items", method="GET", status=200)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 2
    decision, latency = lines
    directive = decision["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "Viewra"
    assert directive["Metrics"] == [{"Name": "Decisions", "Unit": "Count"}]
    assert set(directive["Dimensions"][0]) == {"service", "method"}
    assert (decision["Decisions"], decision["method"]) == ([1.0], "Transcode")
    assert latency["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] == "Seconds"
    assert (latency["ApiRequestSeconds"], latency["route"], latency["status"]) == (
        [0.25],
        "/items",
        "200",
    )
    assert metrics.exposition() == b""  # CloudWatch holds them there


def test_elsewhere_counters_and_timings_read_back_in_prometheus_text(sink):
    sink()
    before = samples(metrics.exposition())
    metrics.count("items_scanned", result="ready")
    metrics.count("items_scanned", result="ready")
    metrics.count("probe_bytes", 4096)
    with metrics.timed("probe_seconds", result="failed") as labels:
        labels["result"] = "ready"
    after = samples(metrics.exposition())

    def moved(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert moved("viewra_items_scanned_total", result="ready") == 2
    assert moved("viewra_probe_bytes_total") == 4096
    assert moved("viewra_probe_seconds_count", result="ready") == 1
    assert moved("viewra_probe_seconds_count", result="failed") == 0


def test_a_timed_block_that_raises_is_still_timed_with_its_first_labels(sink):
    sink()
    before = samples(metrics.exposition())
    with pytest.raises(RuntimeError), metrics.timed("transcode_seconds", state="failed"):
        raise RuntimeError("ffmpeg died")
    after = samples(metrics.exposition())
    key = ("viewra_transcode_seconds_count", (("state", "failed"),))
    assert after[key] - before.get(key, 0) == 1


def test_processes_sharing_a_multiprocess_dir_are_summed(sink, tmp_path):
    """What ``make run`` does: every process writes its own file, the exposition sums them."""
    import subprocess
    import sys

    sink(PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    script = "from viewra.common import metrics; metrics.count('decisions', method='DirectPlay')"
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for _ in range(3):
        subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=60)
    assert len(list(tmp_path.glob("*.db"))) == 3  # one file per process
    found = samples(metrics.exposition())
    assert found[("viewra_decisions_total", (("method", "DirectPlay"),))] == 3


def test_an_undeclared_metric_is_refused_and_a_broken_sink_is_not_the_callers(sink, monkeypatch):
    sink()
    with pytest.raises(KeyError):
        metrics.count("no_such_metric")

    class Broken:
        def record(self, *args: object) -> None:
            raise OSError("disk full")

    monkeypatch.setattr(metrics, "_sink", Broken())
    metrics.count("decisions", method="DirectPlay")  # logged once, not raised


def test_racing_threads_lose_no_count(sink):
    """The API serves each connection in a thread of its own: increments racing on one series
    must all land."""
    import threading

    sink()
    key = ("viewra_decisions_total", (("method", "DirectStream"),))
    before = samples(metrics.exposition()).get(key, 0)

    def hammer() -> None:
        for _ in range(500):
            metrics.count("decisions", method="DirectStream")

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert samples(metrics.exposition())[key] - before == 4000
