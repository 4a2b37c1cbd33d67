"""``make soak`` (``python -m tests.soak``): the hub under concurrent load, then a check that
nothing was lost.

PostgreSQL + Redis + two ``pim worker`` processes + ``pim serve`` on loopback, all real
processes. For ``PIM_SOAK_SECONDS`` (default 60), all at once:

- editors PATCH overlapping products, half with If-Match (read the ETag, then write) and
  half without (``writers``);
- an import of the same SKUs runs over and over (ERP-owned prices, through ``pim import``,
  as a job on the workers) (``writers``);
- a publisher publishes those products to a channel every second (``writers``), whose
  webhook subscription posts to a receiver on loopback that verifies every signature
  (``webhooks``);
- distributors pull the channel's feed with a feed key, each sending the ETag it holds
  (``feeds``).

Then it prints requests, 5xx (must be 0), 412s and p50/p99 per kind, deliveries and feed
pulls, and checks that every acknowledged write is in the product's history with what it
wrote, that every product's version equals its number of history entries, that every
publication reached the receiver (at least once, each product's versions in order) and
that every feed pull was answered 200 or 304 with a body made of published snapshots.
Exit status 1 on any failure.

Not part of ``make test``. Uses its own database (``PIM_SOAK_POSTGRES_URL``, dropped and
created) and Redis database (``PIM_SOAK_REDIS_URL``, flushed).
"""
