"""Backtests: the trading API's strategies over stored history, with the paper broker's
fill and cost model, and reports of the results.

`engine.run` does the work (`kernel` is its compiled loop, `inputs` the arrays it needs);
`result.to_record` makes the stored record; `report` writes the HTML page, charts and JSON.
Importing this package loads nothing heavy: numba comes with `engine`, matplotlib with
the charts.
"""
