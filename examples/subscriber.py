#!/usr/bin/env python3
"""A subscriber to newsflow's ``news.events`` topic: follow chosen producers and actions.

Each record on ``news.events`` is one event (who did what, to what, when, how
much) with its article's title and URL but not its text, keyed by the
producer (the event's actor). This consumer joins its own consumer group, so
it reads every event whatever newsflow's own stages do, and for each new event
that matches prints one JSON line, or POSTs it as JSON to a webhook.

    python examples/subscriber.py --producer Alrosa --producer "De Beers" --action sales_halt
    python examples/subscriber.py --action import_ban --webhook https://hooks.example/desk

It needs only kafka-python and the standard library (no newsflow import): the
contract is the topic's JSON Schema, ``schemas/news.events.v1.schema.json``.
Delivery is at least once: the group's offsets are committed after an event
was handled, so after a crash an event may come twice; ``event_id`` tells
repeats apart. A record of a ``schema_version`` this script does not know is
skipped with a note on stderr (see the README's compatibility policy).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import urllib.request
from typing import Any

from kafka import KafkaConsumer

KNOWN_VERSIONS = {1}


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    consumer = KafkaConsumer(
        args.topic,
        bootstrap_servers=args.bootstrap,
        group_id=args.group,
        enable_auto_commit=False,
        # A new group starts at the end (new events only) unless asked for the history.
        auto_offset_reset="earliest" if args.from_beginning else "latest",
        session_timeout_ms=10_000,
        heartbeat_interval_ms=3_000,
    )
    _await_topic(consumer, args.topic)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    handled, announced = 0, False
    try:
        while not stopping and (args.max_events is None or handled < args.max_events):
            polled = consumer.poll(timeout_ms=1000)
            if not announced and consumer.assignment():
                announced = _announce(consumer, args)
            for records in polled.values():
                for record in records:
                    event = _decode(record.value)
                    if event is not None and _wanted(event, args):
                        _deliver(event, args.webhook)
                        handled += 1
            consumer.commit()  # only after every polled event was handled
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()
    return 0


def _await_topic(consumer: KafkaConsumer, topic: str, timeout_s: float = 30.0) -> None:
    """Read the topic's partitions before the first poll joins the group.

    kafka-python's group leader assigns from the partitions it has noted and
    rejoins at once when they differ afterwards; a join made before the
    metadata arrived is such a join, and a consumer that rejoins at once can
    fall silent (newsflow's own consumers wait the same way, in
    newsflow/consume.py).
    """
    deadline = time.monotonic() + timeout_s
    while not consumer.partitions_for_topic(topic) and time.monotonic() < deadline:
        time.sleep(0.2)


def _announce(consumer: KafkaConsumer, args: argparse.Namespace) -> bool:
    """Say on stderr that the group has joined, once every partition's start is resolved.

    Resolving the positions first means an event published after this line
    is never skipped by a new group starting at the end of the topic.
    """
    partitions = consumer.assignment()
    for partition in partitions:
        consumer.position(partition)
    print(f"subscriber: group {args.group} following {args.topic} ({len(partitions)} partition(s))",
          file=sys.stderr, flush=True)
    return True


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092"),
                        help="Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS, else localhost:9092)")
    parser.add_argument("--topic", default="news.events")
    parser.add_argument("--group", default="newsflow-example-subscriber", help="this subscriber's consumer group")
    parser.add_argument("--producer", action="append", default=[], help="follow this producer (repeatable; default: all)")
    parser.add_argument("--action", action="append", default=[], help="follow this action code (repeatable; default: all)")
    parser.add_argument("--asserted-only", action="store_true", help="skip negated, planned and possible events")
    parser.add_argument("--webhook", help="POST each event as JSON to this URL instead of printing it")
    parser.add_argument("--from-beginning", action="store_true", help="a new group reads the topic's history too")
    parser.add_argument("--max-events", type=int, help="exit after this many events (for tests and demos)")
    return parser.parse_args(argv)


def _decode(value: bytes | None) -> dict[str, Any] | None:
    try:
        event = json.loads(value or b"")
    except ValueError:
        print(f"subscriber: skipping a record that is not JSON ({len(value or b'')} bytes)", file=sys.stderr)
        return None
    if not isinstance(event, dict) or event.get("schema_version") not in KNOWN_VERSIONS:
        print("subscriber: skipping a record of an unknown schema_version", file=sys.stderr)
        return None
    return event


def _wanted(event: dict[str, Any], args: argparse.Namespace) -> bool:
    if args.producer and event["producer"] not in args.producer:
        return False
    if args.action and event["action"] not in args.action:
        return False
    return not args.asserted_only or (not event["negated"] and event["modality"] == "asserted")


def _deliver(event: dict[str, Any], webhook: str | None) -> None:
    body = json.dumps(event, ensure_ascii=False)
    if webhook is None:
        print(body, flush=True)
        return
    request = urllib.request.Request(webhook, data=body.encode(), headers={"Content-Type": "application/json"})
    # A webhook that fails raises: the event is not committed and comes again on restart.
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


if __name__ == "__main__":
    sys.exit(main())
