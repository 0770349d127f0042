"""The composition root: the only code that turns `Settings` into objects.

Market-data sources, brokers, the order manager and trading sessions, and the store, each
built here from one `Settings` and handed out as plain objects; adapters in `agent/` take
plain arguments and `trading/` sees brokers only through the agent protocols. The CLI,
the jobs, the scheduler and the API all build through this package, so they trade and
collect the same way.
"""
