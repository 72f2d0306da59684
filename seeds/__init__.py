"""Sample feeds and article pages for the demo, the tests and the benchmark.

``feeds/`` holds feed files whose links say ``{{BASE_URL}}``; the demo's
loopback server (devstack.feedserver) fills in its own address.
"""

from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parent
FEEDS_DIR = SEEDS_DIR / "feeds"
PAGES_DIR = SEEDS_DIR / "pages"

SEED_PAGE = PAGES_DIR / "diamond-sales-rising.html"


def seed_article_text() -> str:
    """The seed article's paragraphs as plain text, read from its page in ``pages/``.

    Tests read it from the page, so the text has one source in the repository.
    """
    import html
    import re

    article = SEED_PAGE.read_text(encoding="utf-8").split("<article>", 1)[1].split("</article>", 1)[0]
    paragraphs = re.findall(r"<(?:p|li)>(.*?)</(?:p|li)>", article, flags=re.S)
    body = [html.unescape(re.sub(r"<[^>]+>", "", p)).strip() for p in paragraphs]
    headline = html.unescape(re.search(r"<h1>(.*?)</h1>", article, flags=re.S).group(1))
    return "\n\n".join([headline, *(p for p in body if not p.startswith("By "))])
