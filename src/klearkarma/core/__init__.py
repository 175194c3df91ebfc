"""Cross-cutting machinery every bounded context stands on: database, jobs, cache, HTTP edge."""
