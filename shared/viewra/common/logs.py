"""The structured JSON logger every function shares (aws-lambda-powertools).

Each handler sets a correlation id (API request id, SQS message id) so one request's lines can
be followed across the log.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

from viewra.common.settings import get_settings

logger = Logger(service=get_settings().service_name, level=get_settings().log_level)
