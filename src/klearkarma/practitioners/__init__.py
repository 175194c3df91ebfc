"""Practitioners: profiles, credentials, verification, the services catalog, availability."""
