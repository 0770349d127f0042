"""Analysis over stored bars and backtest results: indicators, performance statistics, charts.

Pure computation on numpy arrays (no store, no files): `indicators` and `stats` are cheap
to import everywhere; `plots` pulls in matplotlib and is imported only where charts are
rendered. Rendering returns PNG bytes; whoever asked decides where they go.
"""
