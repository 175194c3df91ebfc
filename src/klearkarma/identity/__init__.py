"""Identity and access: users, credentials, sessions, roles and privacy rights."""
