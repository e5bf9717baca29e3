"""The JSON API: one NinjaAPI object that mounts each app's ``api.py`` router."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(
    title="CyberCantal API",
    version="1",
    description="Lieux, territoire et services de la plateforme CyberCantal.",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
