"""Trading: the strategy API, the order manager, risk rules."""
