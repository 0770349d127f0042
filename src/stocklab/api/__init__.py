"""The REST API: the only way the web client reaches stored data."""

from stocklab.api.app import create_app

__all__ = ["create_app"]
