"""Talking to the payment providers (issue 14): opening orders, sweeping pending donations
(query, confirm, close), sending refunds, and the daily reconciliation against the bills.

Counting money stays in ``chalicelib.logic.donations`` (``settle`` and the refund
transaction): everything here ends in those same exactly-once paths.
"""
