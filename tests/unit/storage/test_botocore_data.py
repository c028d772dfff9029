"""Botocore sessions share one data loader (viewra.storage.botocore_data)."""

from __future__ import annotations

import boto3
import botocore.session

from viewra.common.settings import Settings
from viewra.storage.botocore_data import share_botocore_data
from viewra.storage.tables import tables_for


def test_sessions_made_after_sharing_use_one_loader_that_parses_a_model_once() -> None:
    share_botocore_data()
    first, second = botocore.session.get_session(), botocore.session.get_session()
    loader = first.get_component("data_loader")
    assert second.get_component("data_loader") is loader
    assert first.get_service_model("dynamodb") is not None
    # the loader caches what it parsed: the second session gets the same document, not a re-read
    assert loader.load_service_model("dynamodb", "service-2") is loader.load_service_model(
        "dynamodb", "service-2"
    )


def test_a_data_path_of_its_own_gets_a_loader_of_its_own(tmp_path, monkeypatch) -> None:
    share_botocore_data()
    default = botocore.session.get_session().get_component("data_loader")
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    own = botocore.session.get_session().get_component("data_loader")
    assert own is not default
    assert str(tmp_path) in own.search_paths
    assert str(tmp_path) not in default.search_paths


def test_boto3_sessions_do_not_grow_the_shared_search_paths() -> None:
    share_botocore_data()
    boto3.session.Session()
    paths = list(botocore.session.get_session().get_component("data_loader").search_paths)
    for _ in range(5):
        boto3.session.Session(region_name="us-east-1").client("s3")
    assert list(botocore.session.get_session().get_component("data_loader").search_paths) == paths
    assert len(paths) == len(set(paths))


def test_pynamodb_models_share_it_too() -> None:
    """PynamoDB opens a session per model; the table models come with the loader shared."""
    settings = Settings(table_prefix="loader-test-", endpoint_url="http://127.0.0.1:9")
    models = tables_for(settings).all()
    loaders = {
        id(m._get_connection().connection.session.get_component("data_loader")) for m in models
    }
    assert len(loaders) == 1
