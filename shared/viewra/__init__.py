"""Viewra's core: plain typed modules, importable and testable without AWS.

Only the modules under ``viewra.storage`` import boto3, pynamodb or minio.
"""

__version__ = "0.1.0"
