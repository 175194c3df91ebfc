"""Search and discovery over the public practitioners and services (issue 7)."""
