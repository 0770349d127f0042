"""The offline KRX simulator: the default market-data source (and, later, the paper exchange)."""

from stocklab.agent.sim.market import SimMarketData

__all__ = ["SimMarketData"]
