"""The outside world: market-data sources and brokers. Adapters return records; jobs save them."""
