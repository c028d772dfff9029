"""Settings come from the environment only, with boto3's endpoint convention."""

from viewra.common.settings import Settings


def test_defaults_without_environment() -> None:
    s = Settings.from_env({})
    assert s.media_bucket == "viewra-media"
    assert s.endpoint_for("s3") is None
    assert s.table_name("items") == "viewra-items"


def test_per_service_endpoint_overrides_the_global_one() -> None:
    s = Settings.from_env(
        {"AWS_ENDPOINT_URL": "http://all:1", "AWS_ENDPOINT_URL_DYNAMODB": "http://ddb:2"}
    )
    assert s.endpoint_for("s3") == "http://all:1"
    assert s.endpoint_for("sqs") == "http://all:1"
    assert s.endpoint_for("dynamodb") == "http://ddb:2"


def test_types_are_converted_and_region_falls_back() -> None:
    s = Settings.from_env(
        {
            "VIEWRA_PROBE_BLOCK_SIZE": "4096",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "VIEWRA_MEDIA_BUCKET": "mine",
        }
    )
    assert s.probe_block_size == 4096
    assert s.region == "eu-west-1"
    assert s.media_bucket == "mine"


def test_every_setting_is_reachable_from_an_environment_variable() -> None:
    from dataclasses import fields

    mapped = {name for _, name in Settings.ENV}
    assert mapped == {f.name for f in fields(Settings)}


def test_s3_addressing_is_path_style_for_endpoints_and_auto_for_aws() -> None:
    assert Settings.from_env({}).s3_addressing == "auto"
    assert Settings.from_env({"AWS_ENDPOINT_URL_S3": "http://minio:9000"}).s3_addressing == "path"
    assert (
        Settings.from_env(
            {"VIEWRA_S3_ADDRESSING_STYLE": "virtual", "AWS_ENDPOINT_URL": "http://x"}
        ).s3_addressing
        == "virtual"
    )


def test_settings_page_documents_every_environment_variable() -> None:
    from pathlib import Path

    page = (Path(__file__).resolve().parents[3] / "docs" / "settings.md").read_text()
    missing = [var for var, _ in Settings.ENV if f"`{var}`" not in page]
    assert missing == []


def test_localstack_flag_resolves_the_edge_with_localstack_client(monkeypatch) -> None:
    monkeypatch.setenv("LOCALSTACK_HOST", "ls.example:4599")  # read by localstack-client
    s = Settings.from_env({"LOCALSTACK": "1", "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:5055"})
    assert s.endpoint_for("s3") == "http://ls.example:4599"
    assert s.endpoint_for("sqs") == "http://ls.example:4599"
    assert s.endpoint_for("dynamodb") == "http://127.0.0.1:5055"  # per-service still wins
    explicit = Settings.from_env({"LOCALSTACK": "1", "AWS_ENDPOINT_URL": "http://mine:1"})
    assert explicit.endpoint_for("s3") == "http://mine:1"
