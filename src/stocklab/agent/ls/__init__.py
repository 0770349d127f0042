"""LS증권 OPEN API (REST successor of the eBest xingAPI): market data and the broker.

The client takes the app key and secret as arguments (`stocklab.runtime.sources` reads
them from `STOCKLAB_LS_APPKEY` / `STOCKLAB_LS_APPSECRET`); whether calls reach paper
(모의투자) or real trading is decided by the key, not by the URL.
"""

from stocklab.agent.ls.broker import LsBroker
from stocklab.agent.ls.client import LsClient
from stocklab.agent.ls.market_data import LsMarketData

__all__ = ["LsBroker", "LsClient", "LsMarketData"]
