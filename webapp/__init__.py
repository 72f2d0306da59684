"""``newsflow serve``: a read-only web page on newsflow's Postgres data, for analysts.

A layer above the stages: it reads the sink's tables (and the enrich
catalogue, for what it knows about a producer) and writes nothing. Only the
CLI imports it.
"""
