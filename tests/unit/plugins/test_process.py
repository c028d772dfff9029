"""The host side of the out-of-process protocol: handshake, calls, and isolation of plugins
that crash, hang or answer garbage (a stub script plays the misbehaving plugin)."""

from __future__ import annotations

import time

import pytest

from tests.unit.plugins.conftest import misbehaving_argv
from viewra.plugins.base import PluginError
from viewra.plugins.model import PluginType
from viewra.plugins.process import ProcessPlugin


def test_handshake_declares_the_plugin_and_calls_are_answered() -> None:
    plugin = ProcessPlugin(misbehaving_argv("ok", "good-one"))
    try:
        assert plugin.info.name == "good-one"
        assert plugin.info.type is PluginType.ENRICHER
        assert plugin.info.version == "9.9"
        assert plugin.call("enrich", {"item": {}}) == {"fields": {"genres": ["Drama"]}}
        assert plugin.call("enrich", {"item": {}}) == {"fields": {"genres": ["Drama"]}}
    finally:
        plugin.close()
    assert plugin.failure == "closed"


def test_a_plugin_that_crashes_mid_call_fails_fatally_with_its_exit_code_and_stderr() -> None:
    plugin = ProcessPlugin(misbehaving_argv("crash"))
    with pytest.raises(PluginError) as exc:
        plugin.call("enrich", {})
    assert exc.value.fatal
    assert "exited with code 3" in str(exc.value)
    assert "crash: got enrich" in str(exc.value)
    with pytest.raises(PluginError, match="exited"):  # later calls fail fast
        plugin.call("enrich", {})


def test_a_plugin_that_hangs_is_timed_out_and_killed() -> None:
    plugin = ProcessPlugin(misbehaving_argv("hang"), call_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(PluginError, match=r"no answer within 0.5 s") as exc:
        plugin.call("enrich", {})
    assert exc.value.fatal
    assert time.monotonic() - started < 3
    assert plugin._proc.poll() is not None  # killed, not left running


def test_a_plugin_that_answers_garbage_is_killed() -> None:
    plugin = ProcessPlugin(misbehaving_argv("garbage"))
    with pytest.raises(PluginError, match="not JSON") as exc:
        plugin.call("enrich", {})
    assert exc.value.fatal
    assert plugin._proc.poll() is not None


def test_an_error_answer_fails_the_call_but_keeps_the_plugin() -> None:
    plugin = ProcessPlugin(misbehaving_argv("call-error"))
    try:
        with pytest.raises(PluginError, match="no luck") as exc:
            plugin.call("enrich", {})
        assert not exc.value.fatal
        assert plugin.failure is None
    finally:
        plugin.close()


@pytest.mark.parametrize(
    ("mode", "timeout", "message"),
    [
        ("no-handshake", 0.5, "no answer within 0.5 s"),
        # a wrong answer must be read, not timed out: a long wait, so a busy machine still sees it
        ("wrong-protocol", 30.0, "protocol 99"),
    ],
)
def test_a_bad_handshake_fails_the_start(mode: str, timeout: float, message: str) -> None:
    with pytest.raises(PluginError, match=message):
        ProcessPlugin(misbehaving_argv(mode), handshake_timeout=timeout)


def test_a_command_that_does_not_exist_fails_the_start() -> None:
    with pytest.raises(OSError):
        ProcessPlugin(["/nonexistent/viewra-plugin"])
