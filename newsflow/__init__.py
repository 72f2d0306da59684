"""newsflow: the shared core (message models, settings, Kafka plumbing, CLI, embedded dev stack)."""

__version__ = "0.1.0"
