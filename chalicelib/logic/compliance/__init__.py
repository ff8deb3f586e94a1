"""Compliance jobs: feedback sweep, reminders, end dates, certificates, monthly self-check report.

Each job is a function of a ``JobContext`` (as-of time, period, settings, read
meter) returning its counts; ``run_job`` runs one once per period.
"""
