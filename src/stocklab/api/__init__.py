"""The REST API: the only way the web client reaches stored data."""

from stocklab.api.app import create_app
from stocklab.api.server import server_config

__all__ = ["create_app", "server_config"]
