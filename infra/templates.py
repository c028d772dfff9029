"""The core CloudFormation template, rendered from the one declaration (:mod:`viewra.common.stack`
and
the PynamoDB models), and a normalised description of a stack used to compare the template with
what :func:`viewra.storage.bootstrap.bootstrap` creates on an endpoint.

The core template holds what every function shares: the buckets (with the media bucket's
notification), the queues with their dead-letter queues and access policies, the topics and
subscriptions, the tables with their indexes and time-to-live. The functions' templates
(``chalice package`` + merge templates, see :mod:`infra.functions`) refer to these by name.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pynamodb.attributes import TTLAttribute

from viewra.common.settings import Settings
from viewra.common.stack import StackSpec, queue_policy, queue_senders
from viewra.storage.tables import tables_for

PARTITION = "${AWS::Partition}"


def logical_id(kind: str, name: str) -> str:
    """``("Queue", "viewra-scan-dlq")`` → ``QueueViewraScanDlq``: stable, alphanumeric."""
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", name) if p]
    return kind + "".join(p[:1].upper() + p[1:] for p in parts)


def bucket_arn(name: str, suffix: str = "") -> dict[str, str]:
    return {"Fn::Sub": f"arn:{PARTITION}:s3:::{name}{suffix}"}


def service_arn(service: str, resource: str) -> dict[str, str]:
    return {"Fn::Sub": f"arn:{PARTITION}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}"}


def _table_resource(model: Any) -> dict[str, Any]:
    schema = model._get_schema()

    def keys(key_schema: list[dict[str, str]]) -> list[dict[str, str]]:
        # DynamoDB wants the HASH key first
        return sorted(
            ({"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in key_schema),
            key=lambda k: k["KeyType"] != "HASH",
        )

    props: dict[str, Any] = {
        "TableName": model.Meta.table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": sorted(
            schema["attribute_definitions"], key=lambda a: a["AttributeName"]
        ),
        "KeySchema": keys(schema["key_schema"]),
    }
    for kind, prop in (
        ("global_secondary_indexes", "GlobalSecondaryIndexes"),
        ("local_secondary_indexes", "LocalSecondaryIndexes"),
    ):
        indexes = [
            {
                "IndexName": g["index_name"],
                "KeySchema": keys(g["key_schema"]),
                "Projection": g["projection"],
            }
            for g in sorted(schema[kind], key=lambda g: g["index_name"])
        ]
        if indexes:
            props[prop] = indexes
    for name, attr in model.get_attributes().items():
        if isinstance(attr, TTLAttribute):
            props["TimeToLiveSpecification"] = {
                "AttributeName": attr.attr_name or name,
                "Enabled": True,
            }
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",  # the library outlives a stack deletion
        "UpdateReplacePolicy": "Retain",
        "Properties": props,
    }


def bucket_cors(origin: str) -> dict[str, Any]:
    """The media and content buckets' CORS for the web app on another origin: hls.js fetches
    presigned segments and a ``<video crossorigin>`` reads the original, GET and HEAD only."""
    return {
        "CorsRules": [
            {
                "AllowedOrigins": [origin],
                "AllowedMethods": ["GET", "HEAD"],
                "AllowedHeaders": ["Range"],
                "ExposedHeaders": ["Content-Length", "Content-Range", "ETag"],
                "MaxAge": 3600,
            }
        ]
    }


def core_template(settings: Settings, spec: StackSpec) -> dict[str, Any]:
    """The shared resources of one deployment as a CloudFormation template."""
    resources: dict[str, Any] = {}
    outputs: dict[str, Any] = {}

    def qid(name: str) -> str:
        return logical_id("Queue", name)

    for queue in spec.queues:
        dlq = qid(queue.dlq_name)
        resources[dlq] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": queue.dlq_name,
                "MessageRetentionPeriod": queue.dlq_retention_seconds,
            },
        }
        resources[qid(queue.name)] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": queue.name,
                "VisibilityTimeout": queue.visibility_timeout,
                "MessageRetentionPeriod": queue.retention_seconds,
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": [dlq, "Arn"]},
                    "maxReceiveCount": queue.max_receive_count,
                },
            },
        }
        outputs[qid(queue.name) + "Arn"] = {"Value": {"Fn::GetAtt": [qid(queue.name), "Arn"]}}

    for topic in spec.topics:
        tid = logical_id("Topic", topic.name)
        resources[tid] = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": topic.name}}
        outputs[tid + "Arn"] = {
            "Value": {"Ref": tid},
            "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-" + tid + "Arn"}},
        }
        for sub in topic.subscriptions:
            props: dict[str, Any] = {
                "TopicArn": {"Ref": tid},
                "Protocol": "sqs",
                "Endpoint": {"Fn::GetAtt": [qid(sub.queue), "Arn"]},
                "RawMessageDelivery": sub.raw_delivery,
            }
            if sub.filter_policy:
                props["FilterPolicy"] = sub.filter_policy_dict()
            resources[logical_id("Subscription", f"{topic.name}-{sub.queue}")] = {
                "Type": "AWS::SNS::Subscription",
                "Properties": props,
            }

    policies: list[str] = []
    for queue, senders in queue_senders(spec).items():
        pid = logical_id("Policy", queue)
        policies.append(pid)
        sources = [
            (svc, bucket_arn(name) if svc == "s3" else {"Ref": logical_id("Topic", name)})
            for svc, name in senders
        ]
        resources[pid] = {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {
                "Queues": [{"Ref": qid(queue)}],
                "PolicyDocument": queue_policy(
                    {"Fn::GetAtt": [qid(queue), "Arn"]}, sources, {"Ref": "AWS::AccountId"}
                ),
            },
        }

    for bucket in spec.buckets:
        bid = logical_id("Bucket", bucket)
        props = {
            "BucketName": bucket,
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        }
        configs = []
        for note in (n for n in spec.notifications if n.bucket == bucket):
            for event in note.events:  # CloudFormation: one event per configuration
                config: dict[str, Any] = {
                    "Event": event,
                    "Queue": {"Fn::GetAtt": [qid(note.queue), "Arn"]},
                }
                if note.filter_rules():
                    config["Filter"] = {"S3Key": {"Rules": note.filter_rules()}}
                configs.append(config)
        resource: dict[str, Any] = {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": props,
        }
        if settings.web_origin:
            props["CorsConfiguration"] = bucket_cors(settings.web_origin)
        if configs:
            props["NotificationConfiguration"] = {"QueueConfigurations": configs}
            # S3 checks it may send to the queue when the notification is put
            resource["DependsOn"] = sorted(policies)
        resources[bid] = resource
        outputs[bid + "Name"] = {"Value": {"Ref": bid}}

    for model in tables_for(settings).all():
        tid = logical_id("Table", model.Meta.table_name)
        resources[tid] = _table_resource(model)
        outputs[tid + "Name"] = {"Value": {"Ref": tid}}

    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Viewra core: buckets, queues and DLQs, bucket notification, topics, "
        "tables (generated from shared/viewra/stack.py and the PynamoDB models)",
        "Resources": resources,
        "Outputs": outputs,
    }


# -- a normalised description of a stack, from a template or from a live endpoint -------------


def _name_of(value: Any, resources: dict[str, Any]) -> str:
    """The resource name an ARN, a Ref/GetAtt or an Fn::Sub designates."""
    if isinstance(value, dict):
        if "Fn::GetAtt" in value or "Ref" in value:
            target = value.get("Ref") or value["Fn::GetAtt"][0]
            props = resources[target]["Properties"]
            for key in ("QueueName", "TopicName", "BucketName", "TableName"):
                if key in props:
                    return str(props[key])
            raise KeyError(target)
        if "Fn::Sub" in value:
            value = value["Fn::Sub"]
    return str(value).rsplit(":", 1)[-1]


def _policy(document: dict[str, Any], resources: dict[str, Any]) -> list[tuple[str, ...]]:
    rows = []
    for st in document["Statement"]:
        cond = st.get("Condition", {})
        rows.append(
            (
                st["Effect"],
                st["Principal"]["Service"],
                st["Action"],
                _name_of(st["Resource"], resources),
                _name_of(cond.get("ArnEquals", {}).get("aws:SourceArn"), resources),
                "account" if "aws:SourceAccount" in cond.get("StringEquals", {}) else "",
            )
        )
    return sorted(rows)


def describe_template(template: dict[str, Any]) -> dict[str, Any]:
    res = template["Resources"]
    out: dict[str, Any] = {
        "buckets": [],
        "queues": {},
        "notifications": [],
        "topics": {},
        "tables": {},
    }
    policies = {}
    for r in res.values():
        if r["Type"] == "AWS::SQS::QueuePolicy":
            for q in r["Properties"]["Queues"]:
                policies[_name_of(q, res)] = _policy(r["Properties"]["PolicyDocument"], res)
    for r in res.values():
        p = r.get("Properties", {})
        if r["Type"] == "AWS::S3::Bucket":
            out["buckets"].append(p["BucketName"])
            for c in p.get("NotificationConfiguration", {}).get("QueueConfigurations", []):
                rules = {
                    x["Name"]: x["Value"]
                    for x in c.get("Filter", {}).get("S3Key", {}).get("Rules", [])
                }
                out["notifications"].append(
                    (
                        p["BucketName"],
                        _name_of(c["Queue"], res),
                        c["Event"],
                        rules.get("prefix", ""),
                        rules.get("suffix", ""),
                    )
                )
        elif r["Type"] == "AWS::SQS::Queue":
            redrive = p.get("RedrivePolicy")
            out["queues"][p["QueueName"]] = {
                "visibility_timeout": int(p.get("VisibilityTimeout", 30)),
                "retention": int(p.get("MessageRetentionPeriod", 345600)),
                "dlq": _name_of(redrive["deadLetterTargetArn"], res) if redrive else None,
                "max_receive_count": int(redrive["maxReceiveCount"]) if redrive else None,
                "policy": policies.get(p["QueueName"]),
            }
        elif r["Type"] == "AWS::SNS::Topic":
            out["topics"].setdefault(p["TopicName"], [])
        elif r["Type"] == "AWS::DynamoDB::Table":
            ttl = p.get("TimeToLiveSpecification")
            out["tables"][p["TableName"]] = _table_description(
                p["KeySchema"],
                p["AttributeDefinitions"],
                p.get("GlobalSecondaryIndexes", []),
                p.get("LocalSecondaryIndexes", []),
                p.get("BillingMode", "PROVISIONED"),
                ttl["AttributeName"] if ttl and ttl.get("Enabled") else None,
            )
    for r in res.values():
        if r["Type"] == "AWS::SNS::Subscription":
            p = r["Properties"]
            policy = p.get("FilterPolicy")
            out["topics"][_name_of(p["TopicArn"], res)].append(
                (
                    p["Protocol"],
                    _name_of(p["Endpoint"], res),
                    bool(p.get("RawMessageDelivery", False)),
                    json.dumps(policy, sort_keys=True) if policy else "",
                )
            )
    return _sorted(out)


def _table_description(
    key_schema: list[dict[str, str]],
    attributes: list[dict[str, str]],
    gsis: list[dict[str, Any]],
    lsis: list[dict[str, Any]],
    billing: str,
    ttl: str | None,
) -> dict[str, Any]:
    def keys(ks: list[dict[str, str]]) -> list[tuple[str, str]]:
        return sorted((k["KeyType"], k["AttributeName"]) for k in ks)

    def indexes(found: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            i["IndexName"]: {
                "keys": keys(i["KeySchema"]),
                "projection": i["Projection"]["ProjectionType"],
                "non_key": sorted(i["Projection"].get("NonKeyAttributes", [])),
            }
            for i in found
        }

    return {
        "keys": keys(key_schema),
        "attributes": sorted((a["AttributeName"], a["AttributeType"]) for a in attributes),
        "global_indexes": indexes(gsis),
        "local_indexes": indexes(lsis),
        "billing": billing,
        "ttl": ttl,
    }


def describe_endpoint(settings: Settings, spec: StackSpec) -> dict[str, Any]:
    """The same description, read back from an endpoint with the ordinary AWS APIs (for the
    names ``spec`` declares: what exists there and is not declared is not looked at)."""
    from viewra.storage.clients import client

    s3, sqs, ddb = (client(settings, s) for s in ("s3", "sqs", "dynamodb"))
    out: dict[str, Any] = {
        "buckets": [],
        "queues": {},
        "notifications": [],
        "topics": {},
        "tables": {},
    }
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket in spec.buckets:
        if bucket not in existing:
            continue
        out["buckets"].append(bucket)
        config = s3.get_bucket_notification_configuration(Bucket=bucket)
        for c in config.get("QueueConfigurations", []):
            rules = {
                x["Name"].lower(): x["Value"]
                for x in c.get("Filter", {}).get("Key", {}).get("FilterRules", [])
            }
            for event in c["Events"]:
                out["notifications"].append(
                    (
                        bucket,
                        c["QueueArn"].rsplit(":", 1)[-1],
                        event,
                        rules.get("prefix", ""),
                        rules.get("suffix", ""),
                    )
                )
    names = [q.name for q in spec.queues] + [q.dlq_name for q in spec.queues]
    for name in names:
        try:
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        except sqs.exceptions.QueueDoesNotExist:
            continue
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        redrive = json.loads(attrs["RedrivePolicy"]) if attrs.get("RedrivePolicy") else None
        policy = json.loads(attrs["Policy"]) if attrs.get("Policy") else None
        out["queues"][name] = {
            "visibility_timeout": int(attrs["VisibilityTimeout"]),
            "retention": int(attrs["MessageRetentionPeriod"]),
            "dlq": redrive["deadLetterTargetArn"].rsplit(":", 1)[-1] if redrive else None,
            "max_receive_count": int(redrive["maxReceiveCount"]) if redrive else None,
            "policy": _policy(policy, {}) if policy else None,
        }
    if spec.topics:
        sns = client(settings, "sns")
        arns = {
            t["TopicArn"].rsplit(":", 1)[-1]: t["TopicArn"]
            for t in sns.list_topics().get("Topics", [])
        }
        for topic in spec.topics:
            if topic.name not in arns:
                continue
            rows = out["topics"].setdefault(topic.name, [])
            subs = sns.list_subscriptions_by_topic(TopicArn=arns[topic.name])
            for s in subs.get("Subscriptions", []):
                a = sns.get_subscription_attributes(SubscriptionArn=s["SubscriptionArn"])[
                    "Attributes"
                ]
                policy = a.get("FilterPolicy")
                rows.append(
                    (
                        s["Protocol"],
                        s["Endpoint"].rsplit(":", 1)[-1],
                        a.get("RawMessageDelivery") == "true",
                        json.dumps(json.loads(policy), sort_keys=True) if policy else "",
                    )
                )
    for model in tables_for(settings).all():
        name = model.Meta.table_name
        try:
            t = ddb.describe_table(TableName=name)["Table"]
        except ddb.exceptions.ResourceNotFoundException:
            continue
        ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        out["tables"][name] = _table_description(
            t["KeySchema"],
            t["AttributeDefinitions"],
            t.get("GlobalSecondaryIndexes", []),
            t.get("LocalSecondaryIndexes", []),
            t.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED"),
            ttl.get("AttributeName")
            if ttl.get("TimeToLiveStatus") in {"ENABLED", "ENABLING"}
            else None,
        )
    return _sorted(out)


def _sorted(d: dict[str, Any]) -> dict[str, Any]:
    d["buckets"] = sorted(d["buckets"])
    d["notifications"] = sorted(d["notifications"])
    d["topics"] = {k: sorted(v) for k, v in d["topics"].items()}
    return d
