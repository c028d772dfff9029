"""The deploy templates (``make package``): cfn-lint clean, SQS sources that report partial batch
failures, queues that outlive their consumers' timeouts, and least-privilege roles, checked by
evaluating each role's policy on the calls the functions make (and must not make)."""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.functions import FUNCTIONS, table_names
from viewra.common.settings import Settings

SUBS = {"${AWS::Partition}": "aws", "${AWS::Region}": "us-east-1", "${AWS::AccountId}": "1234"}


def test_cfn_lint_passes_on_every_template(packaged: dict[str, Path]) -> None:
    assert set(packaged) == {"core", "web", *(f.name for f in FUNCTIONS)}
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    done = subprocess.run(
        [str(cfn_lint), *map(str, packaged.values())], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        lid: r["Properties"]
        for lid, r in template["Resources"].items()
        if r["Type"] == "AWS::Serverless::Function"
    }


def _resolve(value: Any) -> str:
    text = value["Fn::Sub"] if isinstance(value, dict) else value
    for k, v in SUBS.items():
        text = text.replace(k, v)
    return text


def _roles(template: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """Each IAM role's statements, with ARNs resolved for account 1234 in us-east-1."""
    roles = []
    for r in template["Resources"].values():
        if r["Type"] != "AWS::IAM::Role":
            continue
        statements = []
        for p in r["Properties"]["Policies"]:
            for st in p["PolicyDocument"]["Statement"]:
                actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
                resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
                statements.append(
                    {
                        "Effect": st["Effect"],
                        "Action": actions,
                        "Resource": [_resolve(x) for x in resources],
                    }
                )
        roles.append(statements)
    assert roles, "every function template has its own role"
    return roles


def allowed(statements: list[dict[str, Any]], action: str, resource: str) -> bool:
    return any(
        st["Effect"] == "Allow"
        and any(fnmatch.fnmatchcase(action, a) for a in st["Action"])
        and any(fnmatch.fnmatchcase(resource, r) for r in st["Resource"])
        for st in statements
    )


def can(templates: dict[str, Any], function: str, action: str, resource: str) -> bool:
    """True if every role of the function's template allows the call."""
    return all(allowed(role, action, resource) for role in _roles(templates[function]))


MEDIA = "arn:aws:s3:::viewra-media"
CONTENT = "arn:aws:s3:::viewra-content"


@pytest.mark.parametrize(
    ("function", "action", "resource", "expected"),
    [
        # scan: reads media, writes artwork only
        ("scan", "s3:GetObject", f"{MEDIA}/movies/a.mkv", True),
        ("scan", "s3:PutObject", f"{CONTENT}/artwork/ab/cd/abcd/cover.jpg", True),
        ("scan", "s3:PutObject", f"{CONTENT}/content/ab/cd/abcd/index.m3u8", False),
        ("scan", "s3:PutObject", f"{MEDIA}/movies/a.mkv", False),
        ("scan", "s3:DeleteObject", f"{MEDIA}/movies/a.mkv", False),
        ("scan", "sqs:SendMessage", "arn:aws:sqs:us-east-1:1234:viewra-scan", True),
        # ...and queues a new item's optimized versions: a job record each, a look for a
        # complete output, a message; never the output itself
        ("scan", "sqs:SendMessage", "arn:aws:sqs:us-east-1:1234:viewra-transcode", True),
        ("scan", "s3:GetObject", f"{CONTENT}/content/ab/cd/abcd/manifest.json", True),
        ("scan", "s3:PutObject", f"{CONTENT}/content/ab/cd/abcd/video.mp4", False),
        (
            "scan",
            "dynamodb:UpdateItem",
            "arn:aws:dynamodb:us-east-1:1234:table/viewra-transcode-jobs",
            True,
        ),
        ("scan", "dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:1234:table/viewra-items", True),
        (
            "scan",
            "dynamodb:Query",
            "arn:aws:dynamodb:us-east-1:1234:table/viewra-items/index/all-title",
            True,
        ),
        ("scan", "dynamodb:Scan", "arn:aws:dynamodb:us-east-1:1234:table/viewra-items", False),
        (
            "scan",
            "dynamodb:PutItem",
            "arn:aws:dynamodb:us-east-1:1234:table/viewra-sessions",
            False,
        ),
        # api: presigns media, never deletes or writes it
        ("api", "s3:GetObject", f"{MEDIA}/movies/a.mkv", True),
        ("api", "s3:DeleteObject", f"{MEDIA}/movies/a.mkv", False),
        ("api", "s3:PutObject", f"{MEDIA}/movies/a.mkv", False),
        ("api", "s3:DeleteObject", f"{CONTENT}/content/ab/cd/abcd/seg1.ts", True),
        ("api", "s3:DeleteObject", f"{CONTENT}/artwork/ab/cd/abcd/cover.jpg", False),
        ("api", "sqs:SendMessage", "arn:aws:sqs:us-east-1:1234:viewra-transcode", True),
        ("api", "dynamodb:Scan", "arn:aws:dynamodb:us-east-1:1234:table/viewra-items", False),
        # transcode: reads media, writes content/* only
        ("transcode", "s3:GetObject", f"{MEDIA}/movies/a.mkv", True),
        ("transcode", "s3:PutObject", f"{CONTENT}/content/ab/cd/abcd/seg1.ts", True),
        ("transcode", "s3:PutObject", f"{CONTENT}/artwork/ab/cd/abcd/cover.jpg", False),
        ("transcode", "s3:PutObject", f"{MEDIA}/movies/a.mkv", False),
        ("transcode", "s3:DeleteObject", f"{MEDIA}/movies/a.mkv", False),
        (
            "transcode",
            "sqs:ChangeMessageVisibility",
            "arn:aws:sqs:us-east-1:1234:viewra-transcode",
            True,
        ),
        ("transcode", "sqs:SendMessage", "arn:aws:sqs:us-east-1:1234:viewra-scan", False),
        (
            "transcode",
            "dynamodb:PutItem",
            "arn:aws:dynamodb:us-east-1:1234:table/viewra-items",
            False,
        ),
        # decide: reads the catalogue, nothing else
        ("decide", "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:1234:table/viewra-items", True),
        ("decide", "dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:1234:table/viewra-items", False),
        ("decide", "s3:GetObject", f"{MEDIA}/movies/a.mkv", False),
    ],
)
def test_roles_allow_what_the_function_does_and_nothing_it_must_not(
    templates: dict[str, Any], function: str, action: str, resource: str, expected: bool
) -> None:
    assert can(templates, function, action, resource) is expected


def test_no_role_has_a_wildcard_action_or_an_unscoped_resource(templates: dict) -> None:
    for name, template in templates.items():
        if name in ("core", "web"):  # not functions
            continue
        for role in _roles(template):
            for st in role:
                assert all(a != "*" and not a.endswith(":*") for a in st["Action"]), name
                assert all(r != "*" for r in st["Resource"]), (name, st)


def test_every_sqs_source_reports_partial_batch_failures(templates: dict) -> None:
    sources = 0
    for name, template in templates.items():
        if name in ("core", "web"):  # not functions
            continue
        for props in _functions(template).values():
            for event in props.get("Events", {}).values():
                if event["Type"] == "SQS":
                    sources += 1
                    assert event["Properties"]["FunctionResponseTypes"] == [
                        "ReportBatchItemFailures"
                    ], name
    assert sources >= 2  # scan and transcode at least


def test_the_local_workers_batch_as_the_deployed_mappings_do(templates: dict) -> None:
    """The local stand-in for each SQS mapping takes its batch size and batching window from
    the same ``@app.on_sqs_message`` that ``chalice package`` turns into the mapping."""
    from viewra.local.worker import queue_workers

    deployed = {}
    for name, template in templates.items():
        for props in _functions(template).values() if name not in ("core", "web") else []:
            for event in props.get("Events", {}).values():
                if event["Type"] == "SQS":
                    queue = _resolve(event["Properties"]["Queue"]).rsplit(":", 1)[-1]
                    p = event["Properties"]
                    deployed[queue] = (p["BatchSize"], p.get("MaximumBatchingWindowInSeconds", 0))
    s = Settings()
    # the same table the local runner and worker processes build their workers from
    local = {w.queue: w for w in queue_workers(s, ["scan", "transcode", "enrich", "events"])}
    assert {s.scan_queue, s.transcode_queue, s.events_queue} <= set(local)
    assert deployed[s.events_queue] == (10, 1)  # events are gathered for up to a second
    for queue, worker in local.items():
        assert deployed[queue] == (worker.batch_size, worker.batch_window), queue


def test_each_consumed_queue_is_declared_with_a_dlq_and_outlasts_its_consumer(
    templates: dict,
) -> None:
    core = {
        r["Properties"]["QueueName"]: r["Properties"]
        for r in templates["core"]["Resources"].values()
        if r["Type"] == "AWS::SQS::Queue"
    }
    for name, template in templates.items():
        if name in ("core", "web"):  # not functions
            continue
        for props in _functions(template).values():
            for event in props.get("Events", {}).values():
                if event["Type"] != "SQS":
                    continue
                queue = _resolve(event["Properties"]["Queue"]).rsplit(":", 1)[-1]
                assert queue in core, f"{name} consumes {queue}, which the core does not declare"
                assert core[queue]["VisibilityTimeout"] >= props["Timeout"], (name, queue)
                assert "RedrivePolicy" in core[queue]


def test_every_table_is_used_by_some_function_and_exists_in_the_core(templates: dict) -> None:
    names = table_names(Settings())
    core = {
        r["Properties"]["TableName"]
        for r in templates["core"]["Resources"].values()
        if r["Type"] == "AWS::DynamoDB::Table"
    }
    assert set(names.values()) == core
    granted = {t for f in FUNCTIONS for t in (*f.reads, *f.writes)}
    assert set(names) <= granted


def test_transcode_is_a_container_image_with_room_to_work(templates: dict) -> None:
    (props,) = _functions(templates["transcode"]).values()
    assert props["PackageType"] == "Image" and "CodeUri" not in props
    assert props["ImageUri"] == {"Ref": "ImageUri"}
    assert props["EphemeralStorage"]["Size"] >= 8 * 1024  # VIEWRA_TRANSCODE_TEMP_MAX_BYTES
    assert props["Timeout"] == 900 and props["MemorySize"] >= 2048
    env = props["Environment"]["Variables"]
    assert env["VIEWRA_TRANSCODE_FFMPEG"] == "/usr/bin/ffmpeg"


def test_functions_get_this_deployments_names_and_no_endpoint(templates: dict) -> None:
    for name, template in templates.items():
        if name in ("core", "web"):  # not functions
            continue
        for props in _functions(template).values():
            env = props["Environment"]["Variables"]
            assert env["VIEWRA_MEDIA_BUCKET"] == "viewra-media", name
            assert env["VIEWRA_TABLE_PREFIX"] == "viewra-", name
            assert not any(k.startswith("AWS_ENDPOINT_URL") for k in env), name


def test_the_package_vendors_the_core_and_never_touches_the_source_tree(
    packaged: dict[str, Path],
) -> None:
    build = packaged["scan"].parents[1]
    assert (build / "vendor" / "viewra" / "common" / "stack.py").is_file()
    assert (build / ".chalice" / "config.json").is_file()
    root = Path(__file__).resolve().parents[2]
    assert not (root / "functions" / "scan" / "vendor").exists()
    assert not (root / "functions" / "scan" / ".chalice").exists()


def test_the_web_app_is_a_private_bucket_read_only_by_its_distribution(templates: dict) -> None:
    web = templates["web"]["Resources"]
    bucket = web["WebBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    [statement] = web["WebBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert statement["Action"] == "s3:GetObject"
    assert "WebDistribution" in statement["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    dist = web["WebDistribution"]["Properties"]["DistributionConfig"]
    assert dist["DefaultRootObject"] == "index.html"
    # hashed assets are cached; index.html and config.json (the API's URL) are not
    assert [b["PathPattern"] for b in dist["CacheBehaviors"]] == ["assets/*"]
    cached = dist["CacheBehaviors"][0]["CachePolicyId"]
    assert dist["DefaultCacheBehavior"]["CachePolicyId"] != cached


def test_the_api_url_comes_from_configuration_into_config_json() -> None:
    import json

    from infra.web import web_config, web_template

    template = web_template(Settings(web_bucket="my-web"))
    assert "ApiBaseUrl" in template["Parameters"]
    assert template["Resources"]["WebBucket"]["Properties"]["BucketName"] == "my-web"
    body = json.loads(web_config("https://abc.execute-api.eu-west-1.amazonaws.com/api/"))
    assert body == {"apiBaseUrl": "https://abc.execute-api.eu-west-1.amazonaws.com/api"}


def test_every_route_but_the_public_ones_has_the_authorizer(templates: dict) -> None:
    """The api's Chalice authorizer (the same check as the function's, from the same code)
    guards every route API Gateway serves, except the public ones, the store hook (its own
    token) and the media-token playlists (checked by the function)."""
    from viewra.accounts.access import GATEWAY_OPEN
    from viewra.local.functions import load_function

    access = load_function("api").ACCESS
    (api,) = (
        r["Properties"]["DefinitionBody"]
        for r in templates["api"]["Resources"].values()
        if r["Type"] == "AWS::Serverless::Api"
    )
    auth = api["securityDefinitions"]["gateway_auth"]
    assert auth["x-amazon-apigateway-authtype"] == "custom"
    assert "GatewayAuth.Arn" in auth["x-amazon-apigateway-authorizer"]["authorizerUri"]["Fn::Sub"]
    seen = set()
    for path, ops in api["paths"].items():
        for method, op in ops.items():
            rule = access[(path, method.upper())]
            guarded = op.get("security") == [{"gateway_auth": []}]
            assert guarded is (rule not in GATEWAY_OPEN), (method, path, rule)
            seen.add((path, method.upper()))
    assert seen == set(access)  # every route is deployed, with its rule
    # the authorizer's refusals answer in the API's error shape, and it may read the key
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in templates["api"]["Resources"].values()
        if r["Type"] == "AWS::ApiGateway::GatewayResponse"
    }
    assert responses["UNAUTHORIZED"]["StatusCode"] == "401"
    assert (
        '"code":"Unauthorized"'
        in responses["UNAUTHORIZED"]["ResponseTemplates"]["application/json"]
    )
    key = "arn:aws:ssm:us-east-1:1234:parameter/viewra/auth-signing-key"
    assert can(templates, "api", "ssm:GetParameter", key)
    assert not can(templates, "scan", "ssm:GetParameter", key)
    table = "arn:aws:dynamodb:us-east-1:1234:table/viewra-accounts"
    assert can(templates, "api", "dynamodb:GetItem", table)
    assert not can(templates, "transcode", "dynamodb:GetItem", table)


ORIGIN = "https://d111111abcdef8.cloudfront.net"


@pytest.fixture(scope="module")
def cross_origin(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The core and api templates for a web app served from CloudFront (VIEWRA_WEB_ORIGIN)."""
    from infra.package import package

    out = tmp_path_factory.mktemp("cors")
    paths = package(out, with_deps=False, only=["api"], settings=Settings(web_origin=ORIGIN))
    return {name: json.loads(path.read_text()) for name, path in paths.items()}


def test_the_web_apps_origin_gets_cors_from_the_api_its_refusals_and_the_buckets(
    cross_origin: dict, templates: dict
) -> None:
    api = cross_origin["api"]["Resources"]
    (body,) = (
        r["Properties"]["DefinitionBody"]
        for r in api.values()
        if "DefinitionBody" in r.get("Properties", {})
    )
    # every path answers a preflight (API Gateway's mock) naming the origin
    for path, ops in body["paths"].items():
        assert "options" in ops, path
        headers = ops["options"]["x-amazon-apigateway-integration"]["responses"]["default"][
            "responseParameters"
        ]
        assert headers["method.response.header.Access-Control-Allow-Origin"] == f"'{ORIGIN}'"
        assert "Authorization" in headers["method.response.header.Access-Control-Allow-Headers"]
    # API Gateway's own 401/403 (the authorizer's) carry it too, or the app cannot read them
    refusals = [r for r in api.values() if r["Type"] == "AWS::ApiGateway::GatewayResponse"]
    assert refusals
    for r in refusals:
        params = r["Properties"]["ResponseParameters"]
        assert params["gatewayresponse.header.Access-Control-Allow-Origin"] == f"'{ORIGIN}'"
    fns = [r for r in api.values() if r["Type"] == "AWS::Serverless::Function"]
    assert fns
    for fn in fns:  # the api function, its authorizer and its events consumer
        assert fn["Properties"]["Environment"]["Variables"]["VIEWRA_WEB_ORIGIN"] == ORIGIN
    # hls.js reads presigned segments from the page's origin
    buckets = [
        r for r in cross_origin["core"]["Resources"].values() if r["Type"] == "AWS::S3::Bucket"
    ]
    assert buckets
    for b in buckets:
        [rule] = b["Properties"]["CorsConfiguration"]["CorsRules"]
        assert rule["AllowedOrigins"] == [ORIGIN] and set(rule["AllowedMethods"]) == {"GET", "HEAD"}
    # the same-origin default (make run, the default package) adds none of it
    default_buckets = [
        r for r in templates["core"]["Resources"].values() if r["Type"] == "AWS::S3::Bucket"
    ]
    assert all("CorsConfiguration" not in b["Properties"] for b in default_buckets)
    default_api = templates["api"]["Resources"]
    assert all(
        "ResponseParameters" not in r["Properties"]
        for r in default_api.values()
        if r["Type"] == "AWS::ApiGateway::GatewayResponse"
    )
