"""Notifications: email now; SMS, push and in-app channels join here."""
