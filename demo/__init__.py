"""The demo city of 新乡: its counties, units, people and about 3,000 hazards, played through the hazard
services (``manage.py seed_demo``; the entry point is ``demo.seed.seed``)."""
