"""The composition root: the ``newsflow`` command line and what only it needs.

It sits above the stages and is the one place that composes them: the CLI
(``cli``), the all-in-one pipeline of ``newsflow run`` (``pipeline``, with the
summary ``run --once`` prints), and the front ends of ``tag``, ``eval``,
``serve`` and ``psql``. Nothing below imports it.
"""
