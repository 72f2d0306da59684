"""newsflow: the shared core below the stages (message models, settings, Kafka and Postgres plumbing, errors, logging).

The core imports no stage; the stages (ingest, enrich, sinks, webapp) import it,
and the composition root (``commands``) composes them. ``pyproject.toml``'s
[tool.importlinter] contract checks this.
"""

__version__ = "0.1.0"
