"""Payments: gateways, the double-entry ledger, refunds, payouts, plans and receipts."""
