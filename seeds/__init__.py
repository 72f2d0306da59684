"""Sample feeds and article pages for the demo, the tests and the benchmark.

``feeds/`` holds feed files whose links say ``{{BASE_URL}}``; the demo's
loopback server (newsflow.feedserver) fills in its own address.
"""

from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parent
FEEDS_DIR = SEEDS_DIR / "feeds"
PAGES_DIR = SEEDS_DIR / "pages"
