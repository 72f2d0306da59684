"""enrich: tag producers, countries, commodities and events in article text.

The tagger (:func:`enrich.tagger.tag`) is a pure function of text; the Kafka
worker loop lives in ``enrich.worker`` and is the only place with I/O.
"""
