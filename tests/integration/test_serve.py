"""``newsflow serve`` on a database filled by the real pipeline from the seed feeds,
driven over HTTP and in headless Chromium (Debian's ``chromium`` and
``chromium-driver``, installed by .ci/run)."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
import pytest

from commands.pipeline import run_once
from devstack.embedded import create_database, drop_database, free_port, stop_process, wait_for_port
from devstack.feedserver import serve_folder
from enrich.tagger import TAGGER_VERSION, tag
from newsflow.lifecycle import Stopper
from newsflow.migrations import with_search_path
from newsflow.models import EnrichedArticle, article_id
from newsflow.settings import FeedConfig, FetchConfig, Settings, TopicsConfig
from seeds import FEEDS_DIR, SEEDS_DIR
from sinks.postgres import connect as sink_connect
from tests.factories import raw_article
from tests.integration.sink_helpers import upsert_articles
from webapp.database import ReadOnlyDatabase

pytestmark = pytest.mark.integration

SEED_PAGE = "/pages/diamond-sales-rising.html"
DEFERRAL_SENTENCE = "allowed customers to back out of contracted purchases"
SCRIPT = '<script>window.__nfXss = "script";</script>'
IMG = '<img src="x" onerror="window.__nfXss = &quot;img&quot;">'
IMG_TEXT = '<img src=x onerror="window.__nfXss=\'img\'">'


@pytest.fixture(scope="module")
def seeded(pg_server_url: str, kafka_bootstrap: str) -> Iterator[dict]:
    """A database filled by ingest → enrich → sink from the seed feeds."""
    unique = uuid.uuid4().hex[:10]
    name = f"nf_serve_{unique}"
    dsn = create_database(pg_server_url, name)
    try:
        with serve_folder(SEEDS_DIR) as base_url:
            settings = Settings(
                kafka_bootstrap_servers=kafka_bootstrap,
                database_url=dsn,
                feeds=[FeedConfig(url=f"{base_url}/feeds/{p.name}", name=p.stem) for p in sorted(FEEDS_DIR.iterdir())],
                topics=TopicsConfig(raw=f"s{unique}.raw", enriched=f"s{unique}.enriched", dlq=f"s{unique}.dlq",
                                    partitions=2),
                fetch=FetchConfig(allow_private_addresses=True, total_timeout_s=10.0),
                enrich_group=f"s{unique}.enrich",
                sink_group=f"s{unique}.sink",
                consumer_session_timeout_ms=6000,
                consumer_heartbeat_interval_ms=2000,
            )
            ingested = run_once(settings, Stopper())
            seed_id = article_id(base_url + SEED_PAGE)
            assert seed_id in ingested.article_ids
        yield {"dsn": dsn, "seed_id": seed_id}
    finally:
        drop_database(pg_server_url, name)


@pytest.fixture(scope="module")
def server(seeded: dict) -> Iterator[str]:
    """``newsflow serve`` as a user starts it, on a free loopback port."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": seeded["dsn"]}
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsflow", "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        wait_for_port(port, timeout_s=60, proc=proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not (chromium and driver_path):
        message = "Debian's chromium and chromium-driver are needed (.ci/run installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1320,1000", "--lang=en-GB"):
        options.add_argument(argument)
    # An explicit driver path: Selenium Manager never tries to download one.
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def screens(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("NEWSFLOW_SCREENS_DIR")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screens")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _by_css(driver, selector: str):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def test_timeline_filtered_to_de_beers_leads_to_the_highlighted_sentence(server, seeded, browser, screens):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server + "/timeline")
    assert _by_css(browser, "svg#timeline"), "the timeline page draws a chart"
    browser.save_screenshot(str(screens / "timeline.png"))

    producer = browser.find_element(By.NAME, "producer")
    producer.clear()
    producer.send_keys("De Beers")
    browser.find_element(By.ID, "apply").click()
    WebDriverWait(browser, 10).until(ec.url_contains("producer=De+Beers"))

    def lanes(driver) -> list[str]:
        return [lane.get_attribute("data-lane") for lane in _by_css(driver, "svg#timeline g.lane")]

    WebDriverWait(browser, 10).until(lambda driver: lanes(driver) == ["De Beers"])
    browser.save_screenshot(str(screens / "timeline-de-beers.png"))

    deferrals = _by_css(browser, 'svg#timeline a.mark[data-action="purchase_deferral"]')
    assert deferrals, "De Beers' purchase_deferral is on the timeline"
    titles = [d.find_element(By.TAG_NAME, "title").get_attribute("textContent") for d in deferrals]
    november = [d for d, t in zip(deferrals, titles, strict=True) if "November" in t]
    assert november, titles
    assert november[0].get_attribute("data-kind") == "asserted"
    label = november[0].find_element(By.CSS_SELECTOR, "text.mark-label")
    assert label.text == "purchase_deferral" and label.is_displayed()

    assert november[0].get_dom_attribute("href").startswith(f"/articles/{seeded['seed_id']}#event-")
    label.click()
    # The page's script marks the sentence the link points at once the page has loaded.
    WebDriverWait(browser, 10).until(lambda driver: _by_css(driver, "#article-text mark.focus"))
    assert seeded["seed_id"] in browser.current_url
    ordinal = browser.current_url.rsplit("#event-", 1)[1]
    marks = [m for m in _by_css(browser, "#article-text mark") if ordinal in m.get_attribute("data-events").split()]
    assert len(marks) == 1
    assert DEFERRAL_SENTENCE in marks[0].text
    assert "focus" in marks[0].get_attribute("class")
    assert marks[0].is_displayed()
    assert "Diamond sales by top producers" in browser.find_element(By.ID, "article-title").text
    browser.save_screenshot(str(screens / "article-highlight.png"))


def _plant(dsn: str) -> str:
    """An article whose title and text carry script and img payloads, through the sink's writer."""
    text = (
        f"Alrosa halted sales of diamonds in September 2023. {SCRIPT} Buyers waited. {IMG_TEXT} "
        "The market stayed quiet."
    )
    raw = raw_article(901, url="https://news.example.com/xss", title=f"Diamonds {SCRIPT}{IMG} weekly", text=text,
                      published_at=datetime(2023, 12, 20, 9, tzinfo=UTC))
    enriched = EnrichedArticle(article=raw, tags=tag(text, raw.published_at), tagger_version=TAGGER_VERSION,
                               enriched_at=datetime.now(UTC))
    assert any(e.action == "sales_halt" for e in enriched.tags.events)
    with sink_connect(dsn) as conn:
        upsert_articles(conn, [enriched], {}, "plant")
    return raw.id


def test_script_and_img_payloads_in_title_and_text_show_as_text(server, seeded, browser, screens):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    planted = _plant(seeded["dsn"])
    pages = [f"/articles/{planted}", "/events?producer=Alrosa", "/producers/Alrosa",
             "/timeline?producer=Alrosa&from=2023-12-01&to=2023-12-31"]
    for page in pages:
        browser.get(server + page)
        assert browser.execute_script("return window.__nfXss === undefined"), page
        with pytest.raises(NoAlertPresentException):
            browser.switch_to.alert.text  # noqa: B018 - no alert was raised
        # No element was made from the payloads: the only script is the page's own.
        scripts = [s.get_attribute("src") for s in _by_css(browser, "script")]
        assert scripts == [server + "/static/page.js"], page
        assert not _by_css(browser, "img"), page
        assert not _by_css(browser, "[onerror]"), page

    browser.get(server + f"/articles/{planted}")
    title = browser.find_element(By.ID, "article-title").text
    assert "<script>" in title and "onerror=" in title
    body = browser.find_element(By.ID, "article-text").text
    assert SCRIPT in body and IMG_TEXT in body
    highlighted = " ".join(m.text for m in _by_css(browser, "#article-text mark"))
    assert "Alrosa halted sales" in highlighted
    browser.save_screenshot(str(screens / "xss-as-text.png"))

    browser.get(server + "/events?producer=Alrosa")
    links = [a.text for a in _by_css(browser, "a.article-link")]
    assert any("<script>" in text for text in links), links


def test_pages_exports_and_errors_over_http(server, seeded):
    with httpx.Client(base_url=server, timeout=30) as client:
        page = client.get("/events", params={"producer": "De Beers", "action": "purchase_deferral"})
        assert page.status_code == 200
        assert page.headers["content-security-policy"].startswith("default-src 'none'")
        assert DEFERRAL_SENTENCE in page.text

        exported = client.get("/export.csv", params={"producer": "De Beers"})
        assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert {r["actor"] for r in rows} == {"De Beers"}
        deferral = next(r for r in rows if r["action"] == "purchase_deferral")
        assert deferral["when_start"] == "2023-11-01" and deferral["kind"] == "asserted"
        assert DEFERRAL_SENTENCE in deferral["sentence"] and deferral["article_id"] == seeded["seed_id"]

        as_json = client.get("/export.json", params={"producer": "De Beers"}).json()
        assert sorted((e["action"], e["on_date"]) for e in as_json) == sorted((r["action"], r["on_date"]) for r in rows)

        by_country = client.get("/export.json", params={"country": "India", "action": "import_ban"}).json()
        assert {(e["actor"], e["when_start"]) for e in by_country} >= {("India", "2023-10-01")}

        producer = client.get("/producers/De Beers")
        assert producer.status_code == 200
        assert "Anglo American" in producer.text  # the catalogue's parent
        assert "Diamond sales by top producers" in producer.text

        assert client.get("/timeline", params={"from": "yesterday"}).status_code == 400
        assert client.get("/articles/nope").status_code == 404
        assert client.get("/producers/Nobody At All").status_code == 404
        assert client.post("/events").status_code == 405


def test_the_page_reads_in_read_only_transactions(seeded):
    database = ReadOnlyDatabase(seeded["dsn"])
    database.open()
    try:
        with database.connection() as conn:
            assert conn.execute("SHOW transaction_read_only").fetchone()[0] == "on"
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                conn.execute("DELETE FROM articles")
        with database.connection() as conn:
            # Even a transaction opened read-write by hand starts from the read-only session default.
            conn.rollback()
            conn.read_only = None
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                conn.execute("INSERT INTO article_countries VALUES ('x', 'y')")
    finally:
        database.close()
    with psycopg.connect(with_search_path(seeded["dsn"])) as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] >= 6


def test_undated_events_sit_at_their_article_publication_date(seeded):
    with psycopg.connect(with_search_path(seeded["dsn"])) as conn:
        rows = conn.execute(
            "SELECT e.when_start, e.on_date, (a.published_at AT TIME ZONE 'UTC')::date "
            "FROM article_events e JOIN articles a ON a.id = e.article_id"
        ).fetchall()
    assert rows
    for when_start, on_date, published in rows:
        assert on_date == (when_start if when_start is not None else published)
    assert any(when_start is None for when_start, _, _ in rows), "the seeds have events that state no time"


def test_serve_with_nothing_configured_opens_the_embedded_database_and_says_what_is_missing(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["NEWSFLOW_DATA_DIR"] = str(tmp_path / "data")
    done = subprocess.run([sys.executable, "-m", "newsflow", "serve", "--port", str(free_port())],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"embedded Postgres (pgserver) in {tmp_path / 'data' / 'postgres'}" in done.stdout
    assert "no newsflow tables yet: run `newsflow migrate` (or `newsflow run --once`" in done.stderr
