"""The deployed functions: size, timeout, environment, least-privilege IAM, and the merge
template that adds to ``chalice package``'s output what Chalice cannot express.

Chalice writes each function's SAM template (the function, its role, the API or the SQS event
source). The merge template adds:
- ``FunctionResponseTypes: [ReportBatchItemFailures]`` on every SQS event source (the handlers
  answer ``batchItemFailures``; without it Lambda retries the whole batch);
- ephemeral storage (transcode);
- the transcode function as a container image (see docs/deploying.md: the ffmpeg layer
  is 247 MB unzipped, and Lambda's 250 MB limit counts layers and code together).
The IAM policy goes in through Chalice's own ``iam_policy_file`` (``autogen_policy: false``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from infra.templates import bucket_arn, service_arn
from viewra.common.settings import Settings
from viewra.common.stack import FUNCTION_TIMEOUTS, StackSpec
from viewra.storage.tables import tables_for

DDB_READ = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:DescribeTable",
    "dynamodb:ConditionCheckItem",
)
DDB_WRITE = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
)
SQS_CONSUME = (
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueUrl",
)
SQS_SEND = ("sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes")

# The access tokens' signing key on AWS: an SSM SecureString parameter made once per deployment
# (infra/README.md), read by the api function and its authorizer.
SIGNING_KEY_PARAMETER = "/viewra/auth-signing-key"

ARTWORK_PREFIX = "artwork/"
CONTENT_PREFIX = "content/"


@dataclass(frozen=True)
class FunctionSpec:
    """One Chalice app under ``functions/<name>``, as deployed."""

    name: str
    memory_mb: int
    ephemeral_mb: int = 512
    image: bool = False  # a container image (transcode: ffmpeg does not fit a zip + layer)
    # table field names of viewra.storage.tables.Tables
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    scans: tuple[str, ...] = ()  # tables it may Scan (cache eviction walks the job table)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def timeout(self) -> int:
        return FUNCTION_TIMEOUTS[self.name]


ALL_TABLES = (
    "items",
    "libraries",
    "scans",
    "sessions",
    "userdata",
    "transcode_jobs",
    "events",
    "enrich_cache",
    "accounts",
    "search",
    "counts",
)

FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        "api",
        memory_mb=1024,
        reads=ALL_TABLES,
        writes=ALL_TABLES,
        scans=("transcode_jobs",),
    ),
    FunctionSpec(
        "scan",
        memory_mb=1024,  # MediaInfo parses in memory; 1 GB also buys CPU for guessit
        # enrichment runs here too; an item write keeps its search rows and the counts; a new
        # item's optimized versions are requested here (a job record each, by content address)
        reads=("items", "libraries", "scans", "enrich_cache", "search", "counts", "transcode_jobs"),
        writes=("items", "scans", "enrich_cache", "search", "counts", "transcode_jobs"),
    ),
    FunctionSpec(
        "transcode",
        memory_mb=3008,  # ~2 vCPUs for x264 (new accounts are capped at 3008 MB)
        ephemeral_mb=10240,  # sources that cannot be streamed are downloaded (8 GiB cap)
        image=True,
        reads=("items", "transcode_jobs"),
        writes=("transcode_jobs",),
        scans=("transcode_jobs",),
        env={
            "VIEWRA_TRANSCODE_FFMPEG": "/usr/bin/ffmpeg",
            "VIEWRA_TRANSCODE_FFPROBE": "/usr/bin/ffprobe",
            "VIEWRA_TRANSCODE_TEMP_DIR": "/tmp",
        },
    ),
    FunctionSpec("decide", memory_mb=512, reads=("items", "userdata")),
)


def function(name: str) -> FunctionSpec:
    return next(f for f in FUNCTIONS if f.name == name)


def table_names(settings: Settings) -> dict[str, str]:
    """Tables field name → table name (only the tables this code version has)."""
    tables = tables_for(settings)
    names = {}
    for field_name in ALL_TABLES:
        model = getattr(tables, field_name, None)
        if model is not None:
            names[field_name] = model.Meta.table_name
    return names


def environment(settings: Settings, spec: FunctionSpec, stack: StackSpec) -> dict[str, str]:
    """What a deployed function reads (viewra.common.settings): names, and no endpoint (AWS
    itself)."""
    env = {
        "VIEWRA_MEDIA_BUCKET": settings.media_bucket,
        "VIEWRA_CONTENT_BUCKET": settings.content_bucket,
        "VIEWRA_TABLE_PREFIX": settings.table_prefix,
        "VIEWRA_SCAN_QUEUE": settings.scan_queue,
        "VIEWRA_TRANSCODE_QUEUE": settings.transcode_queue,
        "VIEWRA_TRANSCODE_PRIORITY_QUEUE": settings.transcode_priority_queue,
        "VIEWRA_DLQ_MAX_RECEIVE_COUNT": str(settings.dlq_max_receive_count),
        "VIEWRA_LOG_LEVEL": settings.log_level,
        "POWERTOOLS_SERVICE_NAME": f"{settings.service_name}-{spec.name}",
        "VIEWRA_PLUGIN_CONFIG_DIR": "/var/task/chalicelib/config/plugins",
        **spec.env,
    }
    if spec.name == "api":
        env["VIEWRA_API_AUTHORIZER"] = "true"
        if settings.web_origin:  # the web app behind CloudFront: CORS for its origin
            env["VIEWRA_WEB_ORIGIN"] = settings.web_origin
        env["VIEWRA_AUTH_SIGNING_KEY_PARAMETER"] = signing_key_parameter(settings)
    if stack.topics:
        env["VIEWRA_EVENTS_TOPIC"] = stack.topics[0].name
        env["VIEWRA_EVENTS_QUEUE"] = settings.events_queue
        if getattr(settings, "enrich_queue", ""):
            env["VIEWRA_ENRICH_QUEUE"] = settings.enrich_queue
    else:
        env["VIEWRA_EVENTS_TOPIC"] = ""
    return env


def signing_key_parameter(settings: Settings) -> str:
    return settings.auth_signing_key_parameter or SIGNING_KEY_PARAMETER


def _statement(sid: str, actions: tuple[str, ...] | list[str], resources: list[Any]) -> dict:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(set(actions)), "Resource": resources}


def policy(settings: Settings, spec: FunctionSpec, stack: StackSpec) -> dict[str, Any]:
    """The function's IAM policy: what its code calls, on this deployment's resources only."""
    media, content = settings.media_bucket, settings.content_bucket
    names = table_names(settings)

    def table_arns(fields: tuple[str, ...], indexes: bool) -> list[Any]:
        arns: list[Any] = []
        for f in fields:
            if f in names:
                arns.append(service_arn("dynamodb", f"table/{names[f]}"))
                if indexes:
                    arns.append(service_arn("dynamodb", f"table/{names[f]}/index/*"))
        return arns

    def queue(name: str) -> Any:
        return service_arn("sqs", name)

    st = [
        _statement(
            "Logs",
            ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"),
            [service_arn("logs", "*")],
        )
    ]
    if spec.reads:
        st.append(_statement("TablesRead", DDB_READ, table_arns(spec.reads, indexes=True)))
    if spec.writes:
        st.append(_statement("TablesWrite", DDB_WRITE, table_arns(spec.writes, indexes=False)))
    if spec.scans:
        st.append(_statement("TablesScan", ("dynamodb:Scan",), table_arns(spec.scans, False)))

    if spec.name == "api":
        # presigned GETs of media (playback, direct play) and of derived content; the health
        # check and HEADs of missing keys need ListBucket (else S3 answers 403, not 404)
        st += [
            _statement("MediaRead", ("s3:GetObject",), [bucket_arn(media, "/*")]),
            _statement("BucketsList", ("s3:ListBucket",), [bucket_arn(media), bucket_arn(content)]),
            _statement(
                "ContentRead",
                ("s3:GetObject",),
                [
                    bucket_arn(content, f"/{ARTWORK_PREFIX}*"),
                    bucket_arn(content, f"/{CONTENT_PREFIX}*"),
                ],
            ),
            # cache eviction and cancel delete transcodes (never media, never artwork)
            _statement(
                "TranscodesWrite",
                ("s3:PutObject", "s3:DeleteObject"),
                [bucket_arn(content, f"/{CONTENT_PREFIX}*")],
            ),
            _statement(
                "QueuesSend",
                SQS_SEND,
                [
                    queue(settings.scan_queue),
                    queue(settings.transcode_queue),
                    queue(settings.transcode_priority_queue),  # a seek moves a chunk ahead
                ],
            ),
            # the signing key (the function and its authorizer share this role)
            _statement(
                "SigningKeyRead",
                ("ssm:GetParameter",),
                [service_arn("ssm", "parameter/" + signing_key_parameter(settings).lstrip("/"))],
            ),
        ]
        consumed = [q.name for q in stack.queues if q.name == getattr(settings, "events_queue", "")]
        if stack.topics and consumed:
            st.append(_statement("EventsConsume", SQS_CONSUME, [queue(consumed[0])]))
    elif spec.name == "scan":
        # the scan queue, and the enrichment subscription to the event topic
        enrich = getattr(settings, "enrich_queue", "")
        scan_consumes = [settings.scan_queue] + [
            q.name for q in stack.queues if stack.topics and q.name == enrich
        ]
        st += [
            _statement("MediaRead", ("s3:GetObject",), [bucket_arn(media, "/*")]),
            _statement("BucketsList", ("s3:ListBucket",), [bucket_arn(media), bucket_arn(content)]),
            # artwork only: scan never writes transcodes (it queues them), never touches media
            _statement(
                "ArtworkWrite",
                ("s3:GetObject", "s3:PutObject"),
                [bucket_arn(content, f"/{ARTWORK_PREFIX}*")],
            ),
            # optimized versions: is one complete (its manifest), queue its job
            _statement(
                "TranscodesRead", ("s3:GetObject",), [bucket_arn(content, f"/{CONTENT_PREFIX}*")]
            ),
            _statement("ScanQueueConsume", SQS_CONSUME, [queue(q) for q in scan_consumes]),
            _statement(
                "ScanQueueSend",
                SQS_SEND,
                [queue(settings.scan_queue), queue(settings.transcode_queue)],
            ),
        ]
    elif spec.name == "transcode":
        transcode_queues = [
            queue(settings.transcode_queue),
            queue(settings.transcode_priority_queue),
        ]
        st += [
            # the source: HEAD, ranged or presigned GET (ffmpeg reads a URL this role signs)
            _statement("MediaRead", ("s3:GetObject",), [bucket_arn(media, "/*")]),
            _statement("BucketsList", ("s3:ListBucket",), [bucket_arn(media), bucket_arn(content)]),
            # outputs under content/ only
            _statement(
                "TranscodesWrite",
                ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"),
                [bucket_arn(content, f"/{CONTENT_PREFIX}*")],
            ),
            _statement("TranscodeQueueConsume", SQS_CONSUME, transcode_queues),
            # a long source's job is planned as chunks, one message each (viewra.transcoding.fanout)
            _statement("TranscodeQueueSend", SQS_SEND, transcode_queues),
        ]
    if stack.topics and spec.name in {"api", "scan", "transcode"}:
        st.append(
            _statement(
                "EventsPublish",
                ("sns:Publish", "sns:CreateTopic"),  # CreateTopic: idempotent ARN lookup by name
                [service_arn("sns", t.name) for t in stack.topics],
            )
        )
    return {"Version": "2012-10-17", "Statement": st}


def chalice_config(settings: Settings, spec: FunctionSpec, stack: StackSpec) -> dict[str, Any]:
    """``.chalice/config.json`` of the function's build dir (stage ``prod``)."""
    return {
        "version": "2.0",
        "app_name": f"viewra-{spec.name}",
        "autogen_policy": False,
        "iam_policy_file": "policy.json",
        "stages": {
            "prod": {
                "api_gateway_stage": "api",
                "lambda_memory_size": spec.memory_mb,
                "lambda_timeout": spec.timeout,
                "environment_variables": environment(settings, spec, stack),
                "tags": {"app": "viewra", "function": spec.name},
            }
        },
    }


# API Gateway's own refusals in the API's error shape: the authorizer's 401 and 403; a path or a
# method no route declares (API Gateway cannot tell them apart, so not a 405 there: the function
# answers 405 only for methods the gateway forwards), and a body over its 10 MB limit.
GATEWAY_ERRORS = {
    "UNAUTHORIZED": ("401", "Unauthorized"),
    "ACCESS_DENIED": ("403", "Forbidden"),
    "MISSING_AUTHENTICATION_TOKEN": ("404", "NotFound"),
    "REQUEST_TOO_LARGE": ("413", "PayloadTooLarge"),
}


def gateway_responses(sam: dict[str, Any], web_origin: str = "") -> dict[str, Any]:
    """``AWS::ApiGateway::GatewayResponse`` resources for the REST API in ``sam``, if any;
    with the web app's origin allowed (CORS), so the app can read a refusal as a 401."""
    apis = [lid for lid, r in sam["Resources"].items() if r["Type"] == "AWS::Serverless::Api"]
    resources: dict[str, Any] = {}
    for api in apis:
        for kind, (status, code) in GATEWAY_ERRORS.items():
            body = '{"error":{"code":"CODE","message":$context.error.messageString}}'
            body = body.replace("CODE", code)
            resources[f"{api}{kind.title().replace('_', '')}Response"] = {
                "Type": "AWS::ApiGateway::GatewayResponse",
                "Properties": {
                    "RestApiId": {"Ref": api},
                    "ResponseType": kind,
                    "StatusCode": status,
                    "ResponseTemplates": {"application/json": body},
                },
            }
            if web_origin:
                resources[f"{api}{kind.title().replace('_', '')}Response"]["Properties"][
                    "ResponseParameters"
                ] = {
                    "gatewayresponse.header.Access-Control-Allow-Origin": f"'{web_origin}'",
                    "gatewayresponse.header.Access-Control-Allow-Headers": (
                        "'Authorization,Content-Type'"
                    ),
                }
    return resources


def merge_template(
    spec: FunctionSpec,
    sam: dict[str, Any],
    web_origin: str = "",
    also_consumes: dict[str, str] | None = None,
) -> dict[str, Any]:
    """What to merge into Chalice's template ``sam`` (from a first ``chalice package``).
    ``also_consumes`` (queue → another queue): the function takes the other queue too, with
    the same mapping (the transcode function's priority queue: Chalice would make a second
    function for a second ``on_sqs_message``)."""
    resources: dict[str, Any] = gateway_responses(sam, web_origin)
    for lid, res in sam["Resources"].items():
        if res["Type"] != "AWS::Serverless::Function":
            continue
        props: dict[str, Any] = {}
        if spec.ephemeral_mb != 512:
            props["EphemeralStorage"] = {"Size": spec.ephemeral_mb}
        events = {}
        for eid, ev in res["Properties"].get("Events", {}).items():
            if ev["Type"] != "SQS":
                continue
            events[eid] = {"Properties": {"FunctionResponseTypes": ["ReportBatchItemFailures"]}}
            for queue, other in (also_consumes or {}).items():
                text = json.dumps(ev)
                if f':{queue}"' in text:
                    twin = json.loads(text.replace(f':{queue}"', f':{other}"'))
                    twin["Properties"]["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
                    events[eid + "Priority"] = twin
        if events:
            props["Events"] = events
        if props:
            resources[lid] = {"Properties": props}
    return {"Resources": resources}


def to_image(spec: FunctionSpec, template: dict[str, Any]) -> dict[str, Any]:
    """Turn the zip function into a container image function (``PackageType: Image``). The
    image is built from ``infra/transcode.Dockerfile`` in the function's build dir and pushed to
    ECR (docs/deploying.md); its URI is the ``ImageUri`` parameter."""
    out = dict(template)
    out.setdefault("Parameters", {})["ImageUri"] = {
        "Type": "String",
        "Description": f"ECR image URI of the {spec.name} function (built from its Dockerfile)",
    }
    for res in out["Resources"].values():
        if res["Type"] != "AWS::Serverless::Function":
            continue
        props = res["Properties"]
        handler = props.pop("Handler")
        for key in ("Runtime", "CodeUri", "Layers"):
            props.pop(key, None)
        props["PackageType"] = "Image"
        props["ImageUri"] = {"Ref": "ImageUri"}
        props["ImageConfig"] = {"Command": [handler]}
    return out
