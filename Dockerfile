FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY newsflow ./newsflow
COPY commands ./commands
COPY devstack ./devstack
COPY ingest ./ingest
COPY enrich ./enrich
COPY sinks ./sinks
COPY seeds ./seeds
COPY webapp ./webapp
RUN pip install --no-cache-dir .
RUN useradd --system --uid 10001 newsflow
USER newsflow
ENTRYPOINT ["newsflow"]
