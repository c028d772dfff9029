"""The one place that reads the environment.

Everything that differs between the embedded emulator, LocalStack, MinIO and AWS is here: names
and endpoints. Endpoints follow boto3's own convention (``AWS_ENDPOINT_URL`` and the per-service
``AWS_ENDPOINT_URL_S3`` / ``_SQS`` / ``_DYNAMODB``), so a client built without an explicit
endpoint resolves the same address; PynamoDB is handed the resolved DynamoDB endpoint because it
builds its own client.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import ClassVar


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Names, endpoints and limits.

    Build with :meth:`from_env`; nothing else reads ``os.environ``.
    """

    region: str = "us-east-1"
    endpoint_url: str | None = None
    s3_endpoint_url: str | None = None
    sqs_endpoint_url: str | None = None
    dynamodb_endpoint_url: str | None = None
    sns_endpoint_url: str | None = None
    s3_addressing_style: str = ""  # path, virtual or auto; empty: path with an endpoint, else auto
    media_bucket: str = "viewra-media"
    content_bucket: str = "viewra-content"
    table_prefix: str = "viewra-"
    scan_queue: str = "viewra-scan"
    transcode_queue: str = "viewra-transcode"
    dlq_max_receive_count: int = 3
    presign_expiry_seconds: int = 3600
    probe_block_size: int = 16384  # bench/probe_bytes.py: best or near-best for mp4 and mkv
    probe_max_bytes: int = 16 * 1024 * 1024
    log_level: str = "INFO"
    service_name: str = "viewra"
    # metrics (viewra.common.metrics): auto is CloudWatch EMF on Lambda, Prometheus elsewhere
    metrics_sink: str = "auto"  # auto | emf | prometheus | off
    metrics_dir: str = ""  # prometheus_client's multiprocess directory (make run sets it)
    lambda_function_name: str = ""  # set by Lambda itself: this process runs there
    session_stale_seconds: int = 300
    resume_min_percent: float = 5.0
    resume_max_percent: float = 90.0
    events_topic: str = "viewra-events"  # empty: events are only logged
    events_queue: str = "viewra-events"  # the events table's subscription to the topic
    events_ttl_seconds: int = 7 * 24 * 3600
    enrich_queue: str = "viewra-enrich"  # subscribed to ItemAdded/ItemUpdated on the topic
    # empty: POST /hooks/store-events is off (see viewra.media.store_hook)
    store_hook_token: str = ""
    # accounts (viewra.accounts): the access tokens' signing key (HS256); on AWS it comes from the
    # SSM SecureString parameter named by auth_signing_key_parameter (see infra/README.md)
    auth_signing_key: str = ""  # empty and no parameter: a random key per process
    auth_signing_key_parameter: str = ""
    auth_issuer: str = "viewra"
    auth_audience: str = "viewra-api"
    auth_access_ttl_seconds: int = 900
    auth_refresh_ttl_seconds: int = 30 * 24 * 3600
    # the signed playlist URLs of a playback or transcode (players fetch them without headers):
    # the item's duration plus this margin, at most auth_media_max_ttl_seconds
    auth_media_margin_seconds: int = 1800
    auth_media_max_ttl_seconds: int = 6 * 3600
    # argon2id (RFC 9106's second recommended option: 64 MiB, 3 passes); tests lower them
    auth_argon2_time_cost: int = 3
    auth_argon2_memory_kib: int = 65536
    auth_argon2_parallelism: int = 4
    auth_password_min_length: int = 12
    # failed logins: free attempts per user and per client address, then a lockout that doubles
    # with each further failure (base, cap); failures are forgotten after the window
    auth_throttle_free_attempts: int = 5
    auth_throttle_base_seconds: float = 1.0
    auth_throttle_max_seconds: float = 900.0
    auth_throttle_window_seconds: int = 3600
    api_authorizer: bool = False  # the deployed api: a Chalice authorizer on every private route
    tmdb_api_key: str = ""  # empty: TMDB is off
    tmdb_base_url: str = "https://api.themoviedb.org/3"
    tmdb_image_base_url: str = "https://image.tmdb.org/t/p"
    musicbrainz_enabled: bool = False
    musicbrainz_base_url: str = "https://musicbrainz.org/ws/2"
    coverart_base_url: str = "https://coverartarchive.org"
    user_agent: str = "Viewra/0.1.0 ( https://github.com/viewra )"
    transcode_max_concurrent_jobs: int = 1
    transcode_timeout_seconds: int = 840
    transcode_max_source_bytes: int = 50 * 1024**3
    transcode_temp_dir: str | None = None
    transcode_temp_max_bytes: int = 8 * 1024**3
    transcode_input_mode: str = "auto"  # auto | url | download
    transcode_heartbeat_seconds: int = 60
    transcode_visibility_seconds: int = 300
    transcode_ffmpeg: str = "ffmpeg"  # /opt/bin/ffmpeg with the Lambda layer
    transcode_ffprobe: str = "ffprobe"
    transcode_preset: str = "veryfast"
    transcode_cache_budget_bytes: int = 100 * 1024**3
    # fan-out (issue 19): sources longer than this are split into chunks of whole segments
    transcode_chunk_threshold_seconds: float = 120.0
    transcode_chunk_segments: int = 10  # segments per chunk
    transcode_priority_queue: str = "viewra-transcode-priority"  # chunks a player waits for
    transcode_threads: int = 0  # ffmpeg -threads per job; 0: ffmpeg's choice
    transcode_workers: int = 0  # local stack: worker processes; 0: one per two cores
    transcode_realtime_input: bool = False  # tests: ffmpeg reads at native speed (-re)
    plugin_config_dir: str = "config/plugins"
    plugin_handshake_timeout_seconds: int = 5
    node_binary: str = "node"
    # the local stack (make run) only
    emulator_port: int = 5055
    # the embedded emulator compacts its journal into a new snapshot once it is this long
    emulator_compact_bytes: int = 64 << 20
    api_port: int = 8000
    state_dir: str = ".viewra"
    queue_visibility_timeout: int = 60
    worker_threads: int = 4
    scan_processes: int = 2
    # the CLI
    api_url: str = "http://127.0.0.1:8000"
    # the built web app the API serves at / (``make web``); relative to the working directory
    web_dir: str = "web/dist"
    web_bucket: str = "viewra-web"  # on AWS: the built app behind CloudFront (infra/web.py)
    # the web app's origin when it is served from elsewhere (CloudFront): the API answers CORS
    # for it, preflights included; empty: same origin only, no CORS headers
    web_origin: str = ""
    api_key: str = ""  # an API key (viewra.accounts); else the token `viewra login` kept
    config_dir: str = ""  # where `viewra login` keeps its token; empty: ~/.config/viewra

    # (environment variable, field) pairs; docs/settings.md's table is this list.
    ENV: ClassVar[tuple[tuple[str, str], ...]] = (
        ("AWS_REGION", "region"),
        ("AWS_ENDPOINT_URL", "endpoint_url"),
        ("AWS_ENDPOINT_URL_S3", "s3_endpoint_url"),
        ("AWS_ENDPOINT_URL_SQS", "sqs_endpoint_url"),
        ("AWS_ENDPOINT_URL_DYNAMODB", "dynamodb_endpoint_url"),
        ("AWS_ENDPOINT_URL_SNS", "sns_endpoint_url"),
        ("VIEWRA_S3_ADDRESSING_STYLE", "s3_addressing_style"),
        ("VIEWRA_MEDIA_BUCKET", "media_bucket"),
        ("VIEWRA_CONTENT_BUCKET", "content_bucket"),
        ("VIEWRA_TABLE_PREFIX", "table_prefix"),
        ("VIEWRA_SCAN_QUEUE", "scan_queue"),
        ("VIEWRA_TRANSCODE_QUEUE", "transcode_queue"),
        ("VIEWRA_DLQ_MAX_RECEIVE_COUNT", "dlq_max_receive_count"),
        ("VIEWRA_PRESIGN_EXPIRY_SECONDS", "presign_expiry_seconds"),
        ("VIEWRA_PROBE_BLOCK_SIZE", "probe_block_size"),
        ("VIEWRA_PROBE_MAX_BYTES", "probe_max_bytes"),
        ("VIEWRA_LOG_LEVEL", "log_level"),
        ("POWERTOOLS_SERVICE_NAME", "service_name"),
        ("VIEWRA_METRICS_SINK", "metrics_sink"),
        ("PROMETHEUS_MULTIPROC_DIR", "metrics_dir"),
        ("AWS_LAMBDA_FUNCTION_NAME", "lambda_function_name"),
        ("VIEWRA_SESSION_STALE_SECONDS", "session_stale_seconds"),
        ("VIEWRA_RESUME_MIN_PERCENT", "resume_min_percent"),
        ("VIEWRA_RESUME_MAX_PERCENT", "resume_max_percent"),
        ("VIEWRA_EVENTS_TOPIC", "events_topic"),
        ("VIEWRA_EVENTS_QUEUE", "events_queue"),
        ("VIEWRA_EVENTS_TTL_SECONDS", "events_ttl_seconds"),
        ("VIEWRA_ENRICH_QUEUE", "enrich_queue"),
        ("VIEWRA_STORE_HOOK_TOKEN", "store_hook_token"),
        ("VIEWRA_AUTH_SIGNING_KEY", "auth_signing_key"),
        ("VIEWRA_AUTH_SIGNING_KEY_PARAMETER", "auth_signing_key_parameter"),
        ("VIEWRA_AUTH_ISSUER", "auth_issuer"),
        ("VIEWRA_AUTH_AUDIENCE", "auth_audience"),
        ("VIEWRA_AUTH_ACCESS_TTL_SECONDS", "auth_access_ttl_seconds"),
        ("VIEWRA_AUTH_REFRESH_TTL_SECONDS", "auth_refresh_ttl_seconds"),
        ("VIEWRA_AUTH_MEDIA_MARGIN_SECONDS", "auth_media_margin_seconds"),
        ("VIEWRA_AUTH_MEDIA_MAX_TTL_SECONDS", "auth_media_max_ttl_seconds"),
        ("VIEWRA_AUTH_ARGON2_TIME_COST", "auth_argon2_time_cost"),
        ("VIEWRA_AUTH_ARGON2_MEMORY_KIB", "auth_argon2_memory_kib"),
        ("VIEWRA_AUTH_ARGON2_PARALLELISM", "auth_argon2_parallelism"),
        ("VIEWRA_AUTH_PASSWORD_MIN_LENGTH", "auth_password_min_length"),
        ("VIEWRA_AUTH_THROTTLE_FREE_ATTEMPTS", "auth_throttle_free_attempts"),
        ("VIEWRA_AUTH_THROTTLE_BASE_SECONDS", "auth_throttle_base_seconds"),
        ("VIEWRA_AUTH_THROTTLE_MAX_SECONDS", "auth_throttle_max_seconds"),
        ("VIEWRA_AUTH_THROTTLE_WINDOW_SECONDS", "auth_throttle_window_seconds"),
        ("VIEWRA_API_AUTHORIZER", "api_authorizer"),
        ("VIEWRA_TMDB_API_KEY", "tmdb_api_key"),
        ("VIEWRA_TMDB_BASE_URL", "tmdb_base_url"),
        ("VIEWRA_TMDB_IMAGE_BASE_URL", "tmdb_image_base_url"),
        ("VIEWRA_MUSICBRAINZ_ENABLED", "musicbrainz_enabled"),
        ("VIEWRA_MUSICBRAINZ_BASE_URL", "musicbrainz_base_url"),
        ("VIEWRA_COVERART_BASE_URL", "coverart_base_url"),
        ("VIEWRA_USER_AGENT", "user_agent"),
        ("VIEWRA_TRANSCODE_MAX_CONCURRENT_JOBS", "transcode_max_concurrent_jobs"),
        ("VIEWRA_TRANSCODE_TIMEOUT_SECONDS", "transcode_timeout_seconds"),
        ("VIEWRA_TRANSCODE_MAX_SOURCE_BYTES", "transcode_max_source_bytes"),
        ("VIEWRA_TRANSCODE_TEMP_DIR", "transcode_temp_dir"),
        ("VIEWRA_TRANSCODE_TEMP_MAX_BYTES", "transcode_temp_max_bytes"),
        ("VIEWRA_TRANSCODE_INPUT_MODE", "transcode_input_mode"),
        ("VIEWRA_TRANSCODE_HEARTBEAT_SECONDS", "transcode_heartbeat_seconds"),
        ("VIEWRA_TRANSCODE_VISIBILITY_SECONDS", "transcode_visibility_seconds"),
        ("VIEWRA_TRANSCODE_FFMPEG", "transcode_ffmpeg"),
        ("VIEWRA_TRANSCODE_FFPROBE", "transcode_ffprobe"),
        ("VIEWRA_TRANSCODE_PRESET", "transcode_preset"),
        ("VIEWRA_TRANSCODE_CACHE_BUDGET_BYTES", "transcode_cache_budget_bytes"),
        ("VIEWRA_TRANSCODE_CHUNK_THRESHOLD_SECONDS", "transcode_chunk_threshold_seconds"),
        ("VIEWRA_TRANSCODE_CHUNK_SEGMENTS", "transcode_chunk_segments"),
        ("VIEWRA_TRANSCODE_PRIORITY_QUEUE", "transcode_priority_queue"),
        ("VIEWRA_TRANSCODE_THREADS", "transcode_threads"),
        ("VIEWRA_TRANSCODE_WORKERS", "transcode_workers"),
        ("VIEWRA_TRANSCODE_REALTIME_INPUT", "transcode_realtime_input"),
        ("VIEWRA_PLUGIN_CONFIG_DIR", "plugin_config_dir"),
        ("VIEWRA_PLUGIN_HANDSHAKE_TIMEOUT_SECONDS", "plugin_handshake_timeout_seconds"),
        ("VIEWRA_NODE", "node_binary"),
        ("VIEWRA_EMULATOR_PORT", "emulator_port"),
        ("VIEWRA_EMULATOR_COMPACT_BYTES", "emulator_compact_bytes"),
        ("VIEWRA_API_PORT", "api_port"),
        ("VIEWRA_STATE_DIR", "state_dir"),
        ("VIEWRA_QUEUE_VISIBILITY_TIMEOUT", "queue_visibility_timeout"),
        ("VIEWRA_WORKER_THREADS", "worker_threads"),
        ("VIEWRA_SCAN_PROCESSES", "scan_processes"),
        ("VIEWRA_API_URL", "api_url"),
        ("VIEWRA_WEB_DIR", "web_dir"),
        ("VIEWRA_WEB_BUCKET", "web_bucket"),
        ("VIEWRA_WEB_ORIGIN", "web_origin"),
        ("VIEWRA_API_KEY", "api_key"),
        ("VIEWRA_CONFIG_DIR", "config_dir"),
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        types = {f.name: f.type for f in fields(cls)}
        values: dict[str, object] = {}
        for var, name in cls.ENV:
            raw = env.get(var)
            if raw is None and var == "AWS_REGION":
                raw = env.get("AWS_DEFAULT_REGION")
            if raw is None or raw == "":
                continue
            kind = types[name]
            if kind == "int":
                values[name] = int(raw)
            elif kind == "float":
                values[name] = float(raw)
            elif kind == "bool":
                values[name] = _bool(raw)
            else:
                values[name] = raw
        if _bool(env.get("LOCALSTACK", "")) and "endpoint_url" not in values:
            # localstack-client's convention: LOCALSTACK=1 (with LOCALSTACK_HOST) names the edge
            from localstack_client.config import get_service_endpoint

            values["endpoint_url"] = get_service_endpoint("s3")
        return cls(**values)  # type: ignore[arg-type]

    def endpoint_for(self, service: str) -> str | None:
        """The endpoint for ``service`` (s3, sqs, dynamodb, sns): per-service first, then global."""
        specific = getattr(self, f"{service}_endpoint_url", None)
        return specific or self.endpoint_url

    @property
    def s3_addressing(self) -> str:
        """Path-style where an endpoint is set (emulators, MinIO), AWS's own choice otherwise."""
        if self.s3_addressing_style:
            return self.s3_addressing_style
        return "path" if self.endpoint_for("s3") else "auto"

    def player_url_seconds(self, duration: float | None) -> int:
        """How long a URL handed to a player lives (a presigned original, a playlist's segments):
        the media's duration plus the media-token margin, at most the media token's maximum and
        never less than ``presign_expiry_seconds``. A film's later range requests and a seek
        after a long pause must not meet an expired URL. (On AWS a URL signed with a role's
        temporary credentials ends with them, whatever this says.)"""
        wanted = int(duration or 0) + self.auth_media_margin_seconds
        return max(self.presign_expiry_seconds, min(wanted, self.auth_media_max_ttl_seconds))

    def table_name(self, name: str) -> str:
        return f"{self.table_prefix}{name}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once; tests build their own ``Settings`` instead."""
    return Settings.from_env()
