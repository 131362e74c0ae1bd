"""REST API benchmark: 1,000,000 hazards in PostgreSQL, gunicorn, closed-loop load (see README.md)."""
