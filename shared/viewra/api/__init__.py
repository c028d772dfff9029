"""The HTTP API's own pieces above the modules: the OpenAPI document and the health check."""
