"""Bookings: the session lifecycle from hold to completion."""
