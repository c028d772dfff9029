"""Storage adapters: the only modules that import boto3, pynamodb or minio."""
