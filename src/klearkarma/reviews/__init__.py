"""Reviews: seekers' ratings of completed sessions."""
