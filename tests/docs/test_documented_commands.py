"""Every shell command the README and docs/*.md show is run by a test, so a documented step
cannot rot: a command in a block marked ``<!-- docs-test: stack -->`` is run as it stands by
tests/integration/test_documented_blocks.py; any other must be mapped below to the test that runs
it, or to the test that covers it where it cannot run here (real AWS, a MinIO server). A new
documented command that is in neither fails this suite."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.docs.commands import ROOT, Block, all_blocks, blocks, commands

RUNNER = "tests/integration/test_documented_blocks.py::test_documented_block_runs_as_it_stands"
MAKE_TEST = "tests/docs/test_documented_commands.py::test_make_run_and_make_test_run_what_is_tested"
CLI = "tests/integration/test_cli_and_scans.py::"
ACCOUNTS = "tests/integration/test_accounts.py::"
CLI_SCAN = CLI + "test_cli_adds_a_library_over_existing_files_and_scans_with_progress"

# (pattern the whole command matches, the test that runs it)
RUN_BY: list[tuple[str, str]] = [
    (r"make run", MAKE_TEST),
    (r"make test", MAKE_TEST),
    (
        r"make package",
        "tests/infra/test_make_package.py::test_make_package_as_the_deploy_steps_run_it",
    ),
    # the CLI's synopsis (docs/api.md): each subcommand as the integration tests run it
    (r"viewra libraries add NAME PREFIX --kind \S+", CLI_SCAN),
    (r"viewra scan LIBRARY --wait", CLI_SCAN),
    (r"viewra items \[.*\]", CLI_SCAN),
    (
        r"viewra play ITEM --profile chrome",
        "tests/integration/test_playback.py::test_cli_play_prints_decision_reasons_and_url",
    ),
    # docs/auth.md: accounts from the shell
    (
        r"viewra users create --admin NAME",
        ACCOUNTS + "test_users_create_refuses_weak_passwords_and_taken_names",
    ),
    (
        r"viewra login \[--user NAME\]",
        ACCOUNTS + "test_cli_login_keeps_a_0600_token_and_logout_revokes_it",
    ),
    (r"viewra logout", ACCOUNTS + "test_cli_login_keeps_a_0600_token_and_logout_revokes_it"),
    (r"viewra api-key NAME", RUNNER),
    (
        r"viewra users list",
        ACCOUNTS + "test_an_admin_lists_users_and_grants_libraries_from_the_shell",
    ),
    (
        r"viewra users grant NAME LIBRARY\.\.\.",
        ACCOUNTS + "test_an_admin_lists_users_and_grants_libraries_from_the_shell",
    ),
    (
        r"viewra transcode ITEM --profile roku --wait",
        "tests/integration/test_transcode.py::test_cli_transcode_waits_with_a_progress_bar",
    ),
]

# Commands that need what this machine has not (an AWS account, Docker, a MinIO server): the
# test that covers what they consume or configure, and why they are not run.
AWS = "needs an AWS account"
CANNOT_RUN_HERE: list[tuple[str, str, str]] = [
    (
        r"export AWS_REGION=\S+ VIEWRA_MEDIA_BUCKET=\S+ VIEWRA_CONTENT_BUCKET=\S+",
        "tests/infra/test_make_package.py::test_make_package_as_the_deploy_steps_run_it",
        "the names it exports are packaged by that test; the region is AWS's",
    ),
    (
        r"ART=\S+; aws s3 mb s3://\$ART",
        "tests/infra/test_templates.py::test_cfn_lint_passes_on_every_template",
        AWS,
    ),
    (
        r"aws cloudformation (deploy|package) .*build/package/.*",
        "tests/infra/test_templates.py::test_cfn_lint_passes_on_every_template",
        AWS + ": the templates it deploys are linted and compared with the stack by tests/infra",
    ),
    (
        r"(ACCOUNT|REPO|API)=.*",
        "tests/infra/test_templates.py::test_cfn_lint_passes_on_every_template",
        AWS,
    ),
    (
        r"aws ecr .*",
        "tests/infra/test_templates.py::test_cfn_lint_passes_on_every_template",
        AWS + " and Docker",
    ),
    (
        r"docker build .* && docker push .*",
        "tests/infra/test_templates.py::test_cfn_lint_passes_on_every_template",
        "needs a Docker engine (there is none here) and ECR",
    ),
    (
        r'curl -s (-H "Authorization: Bearer \$KEY" )?(-X POST )?"\$API".*',
        RUNNER,
        AWS + ": the same requests are run against the local stack by the README's block",
    ),
    (
        r'viewra users create --admin me|viewra --api "\$API" login --user me'
        r'|KEY=\$\(viewra --api "\$API" api-key scripts \| tail -n 1\)',
        RUNNER,
        AWS + ": the same first admin, login and API key are made on the local stack by the "
        "README's block",
    ),
    (
        r'aws s3 cp film.mkv "s3://\$VIEWRA_MEDIA_BUCKET/.*"',
        RUNNER,
        AWS + ": the same upload is run against the local stack by the README's block",
    ),
    (
        r"MINIO_NOTIFY_WEBHOOK_\w+=\S+",
        "tests/integration/test_store_hook.py::"
        "test_a_store_without_sqs_notifications_feeds_the_library_through_the_hook",
        "a MinIO server's own configuration (no MinIO here): the test posts MinIO's deliveries",
    ),
    (
        r"mc event add \S+ arn:minio:sqs::VIEWRA:webhook --event put,delete",
        "tests/integration/test_store_hook.py::"
        "test_a_store_without_sqs_notifications_feeds_the_library_through_the_hook",
        "MinIO's client against a MinIO server (no MinIO here)",
    ),
]


def _documented() -> list[tuple[Block, str]]:
    return [(block, command) for block in all_blocks() for command in commands(block)]


def _mapped(command: str) -> list[str]:
    patterns = [p for p, _ in RUN_BY] + [p for p, _, _ in CANNOT_RUN_HERE]
    return [p for p in patterns if re.fullmatch(p, command)]


def _run_as_they_stand() -> set[str]:
    return {c for block in all_blocks() if block.run == "stack" for c in commands(block)}


def _test_exists(node: str) -> bool:
    path, _, name = node.partition("::")
    file = ROOT / path
    return file.is_file() and re.search(rf"^def {re.escape(name)}\(", file.read_text(), re.M)


def test_the_docs_show_shell_commands_and_some_run_as_they_stand() -> None:
    # guards the extraction itself: the README's two commands and its walk-through are found
    readme = blocks(ROOT / "README.md")
    found = [c for b in readme for c in commands(b)]
    assert found[:2] == ["make run", "make test"]
    assert any(b.run == "stack" and b.expect for b in readme)
    assert any(c.startswith("viewra play ") for c in _run_as_they_stand())


def test_every_documented_command_is_run_by_a_test() -> None:
    run_here = _run_as_they_stand()
    orphans = [
        f"{block.id}: {command}"
        for block, command in _documented()
        if command not in run_here and not _mapped(command)
    ]
    assert not orphans, (
        "documented commands no test runs; mark their block <!-- docs-test: stack --> or map "
        "them in tests/docs/test_documented_commands.py:\n" + "\n".join(orphans)
    )


def test_no_documented_command_matches_two_mappings() -> None:
    doubles = [c for _, c in _documented() if len(_mapped(c)) > 1]
    assert not doubles


def test_every_mapping_names_an_existing_test_and_a_documented_command() -> None:
    documented = [c for _, c in _documented()]
    entries = [(p, t) for p, t in RUN_BY] + [(p, t) for p, t, _ in CANNOT_RUN_HERE]
    for pattern, test in [*entries, ("", RUNNER), ("", MAKE_TEST)]:
        assert _test_exists(test), f"{test} does not exist"
        if pattern:
            assert any(re.fullmatch(pattern, c) for c in documented), f"stale mapping: {pattern}"


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_and_make_test_run_what_is_tested() -> None:
    """``make run`` starts ``python -m viewra.local.run``, which the integration suite's stack
    fixture starts for every integration test; ``make test`` is ``ruff check`` and this pytest
    suite (CI runs it: .ci/run). Dry runs (``make -n``), with the installs assumed done."""

    # run under `make test` itself, the outer make's variables (PYTEST_ARGS=...) would reach the
    # dry run through MAKEFLAGS and, exported, the environment: the recipes are read as a
    # newcomer's make would print them
    outer = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PYTEST_ARGS", "PYTEST_XDIST"}
    env = {k: v for k, v in os.environ.items() if k not in outer}

    def recipe(target: str) -> str:
        done = subprocess.run(
            ["make", "-n", "--no-print-directory", target, "STAMP=", "NODE_STAMP="],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    run = recipe("run")
    assert re.search(r"^\S*python -m viewra\.local\.run$", run, re.M), run
    launcher = (ROOT / "shared/viewra/local/launch.py").read_text()
    assert '"viewra.local.run"' in launcher  # what the stack fixture (start_stack) starts
    test = recipe("test")
    assert re.search(r"^\S*ruff check \.$", test, re.M), test
    # the whole suite (no paths), on two workers with shared stacks grouped (tests/conftest.py)
    assert re.search(r"^\S*python -m pytest -q -n 2 --dist loadgroup\s*$", test, re.M), test
    assert Path(ROOT / ".ci" / "run").read_text().rstrip().endswith("make test")


def test_every_make_target_the_docs_name_exists() -> None:
    """Inline mentions too (`make bench-probe`): a renamed target must take its docs along."""
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", makefile, re.M))
    assert {"run", "test", "package"} <= targets
    named = {
        (doc.name, target)
        for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
        for target in re.findall(r"`make ([a-z][\w-]*)", doc.read_text())
    }
    assert named, "the docs name no make target"
    unknown = sorted(f"{doc}: make {target}" for doc, target in named if target not in targets)
    assert not unknown, unknown
