"""Practitioners: profiles, credentials and verification, the services catalog, availability rules."""
