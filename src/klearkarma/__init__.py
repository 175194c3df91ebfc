"""Klear Karma: a wellness marketplace connecting seekers with holistic-health practitioners."""

__version__ = "0.1.0"
