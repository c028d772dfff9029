"""The web app's hosting on AWS: a private bucket holding ``web/dist`` behind CloudFront (origin
access control), and the ``config.json`` that tells the app where the API is.

The API's URL is a parameter of the template (``ApiBaseUrl``), written into ``config.json`` at
deploy time (``web_config``); the built app itself never names an API.
"""

from __future__ import annotations

import json
from typing import Any

from viewra.common.settings import Settings

# CloudFront's managed cache policies: hashed assets cached, config.json and index.html not
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"


def web_config(api_base_url: str) -> str:
    """The body of ``config.json`` beside ``index.html``: the API's base URL, no trailing slash."""
    return json.dumps({"apiBaseUrl": api_base_url.rstrip("/")}) + "\n"


def web_template(settings: Settings) -> dict[str, Any]:
    """CloudFormation for the web bucket and its distribution.

    Deploy: create the stack with ``ApiBaseUrl`` (the API stage's URL), then
    ``aws s3 sync web/dist s3://<WebBucketName>/ --delete`` and put ``web_config(ApiBaseUrl)``
    as ``config.json``. The API's CORS must allow the ``WebUrl`` origin, and the content bucket's
    CORS must allow GET from it (hls.js fetches presigned segments from the page's origin)."""
    bucket = "WebBucket"
    origin = "WebOrigin"
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Viewra web app: the built web/dist in a private bucket behind CloudFront",
        "Parameters": {
            "ApiBaseUrl": {
                "Type": "String",
                "Description": "The API's base URL, written into config.json for the app",
                "AllowedPattern": "^https://.+",
            }
        },
        "Resources": {
            bucket: {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "BucketName": settings.web_bucket,
                    "PublicAccessBlockConfiguration": {
                        "BlockPublicAcls": True,
                        "BlockPublicPolicy": True,
                        "IgnorePublicAcls": True,
                        "RestrictPublicBuckets": True,
                    },
                    "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                },
            },
            "WebOriginAccessControl": {
                "Type": "AWS::CloudFront::OriginAccessControl",
                "Properties": {
                    "OriginAccessControlConfig": {
                        "Name": {"Fn::Sub": "${AWS::StackName}-web"},
                        "OriginAccessControlOriginType": "s3",
                        "SigningBehavior": "always",
                        "SigningProtocol": "sigv4",
                    }
                },
            },
            "WebDistribution": {
                "Type": "AWS::CloudFront::Distribution",
                "Properties": {
                    "DistributionConfig": {
                        "Enabled": True,
                        "Comment": "Viewra web app",
                        "DefaultRootObject": "index.html",
                        "HttpVersion": "http2and3",
                        "PriceClass": "PriceClass_100",
                        "Origins": [
                            {
                                "Id": origin,
                                "DomainName": {"Fn::GetAtt": [bucket, "RegionalDomainName"]},
                                "S3OriginConfig": {"OriginAccessIdentity": ""},
                                "OriginAccessControlId": {
                                    "Fn::GetAtt": ["WebOriginAccessControl", "Id"]
                                },
                            }
                        ],
                        "DefaultCacheBehavior": {
                            "TargetOriginId": origin,
                            "ViewerProtocolPolicy": "redirect-to-https",
                            "CachePolicyId": CACHING_DISABLED,
                            "Compress": True,
                        },
                        "CacheBehaviors": [
                            {
                                "PathPattern": "assets/*",
                                "TargetOriginId": origin,
                                "ViewerProtocolPolicy": "redirect-to-https",
                                "CachePolicyId": CACHING_OPTIMIZED,
                                "Compress": True,
                            }
                        ],
                    }
                },
            },
            "WebBucketPolicy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {
                    "Bucket": {"Ref": bucket},
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "CloudFrontReadsTheApp",
                                "Effect": "Allow",
                                "Principal": {"Service": "cloudfront.amazonaws.com"},
                                "Action": "s3:GetObject",
                                "Resource": {"Fn::Sub": "${WebBucket.Arn}/*"},
                                "Condition": {
                                    "StringEquals": {
                                        "AWS:SourceArn": {
                                            "Fn::Sub": "arn:${AWS::Partition}:cloudfront::"
                                            "${AWS::AccountId}:distribution/${WebDistribution}"
                                        }
                                    }
                                },
                            }
                        ],
                    },
                },
            },
        },
        "Outputs": {
            "WebBucketName": {"Value": {"Ref": bucket}},
            "WebUrl": {"Value": {"Fn::Sub": "https://${WebDistribution.DomainName}"}},
            "ApiBaseUrl": {"Value": {"Ref": "ApiBaseUrl"}},
        },
    }
