"""Cron jobs in Asia/Seoul on the KRX calendar, each run in its own process."""
