"""Units of work (collect, later trade and backtest) that the CLI, the scheduler and the API
all start the same way: by name, through `jobs.runner.run_job`."""
