"""A `limits` storage on refnet's store, so every gunicorn worker counts the same hits.

The `limits` library (what Flask-Limiter runs on) does the rate-limit arithmetic; its own
storages are process memory (one count per gunicorn worker: a limit of 10 becomes 10 × the
workers) or servers refnet does not run (Redis, Memcached, MongoDB). This storage keeps its
fixed-window counters in the ``rate_limit_counters`` table of the store the service already
shares (SQLite file or PostgreSQL), one atomic upsert per hit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from limits.storage import Storage
from sqlalchemy import case, delete, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from connector.referral_form.schema import rate_limit_counters
from connector.store import Store

__all__ = ["StoreRateLimitStorage"]

_T = rate_limit_counters


class StoreRateLimitStorage(Storage):
    """Fixed-window counters in the store (``FixedWindowRateLimiter`` needs no more)."""

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(wrap_exceptions=True)
        self._store = store
        self._clock = clock

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = self._clock()
        live = _T.c.expires_at > now
        with self._store.transaction() as tx:
            dialect = tx.connection.dialect.name
            module: Any = postgresql if dialect == "postgresql" else sqlite
            # One statement: a live window counts on, an expired one starts again. Two
            # workers hitting the same key at once are serialised by the row's lock.
            statement = (
                module.insert(_T)
                .values(key=key, hits=amount, expires_at=now + expiry)
                .on_conflict_do_update(
                    index_elements=["key"],
                    set_={
                        "hits": case((live, _T.c.hits + amount), else_=literal(amount)),
                        "expires_at": case((live, _T.c.expires_at), else_=now + expiry),
                    },
                )
                .returning(_T.c.hits)
            )
            hits = tx.connection.execute(statement).scalar_one()
            # Windows of other clients that ran out: without this every address ever seen
            # would keep a row.
            tx.connection.execute(delete(_T).where(_T.c.expires_at <= now))
        return int(hits)

    def get(self, key: str) -> int:
        with self._store.reading() as tx:
            hits = tx.connection.execute(
                select(_T.c.hits).where(_T.c.key == key, _T.c.expires_at > self._clock())
            ).scalar()
        return int(hits or 0)

    def get_expiry(self, key: str) -> float:
        with self._store.reading() as tx:
            expires = tx.connection.execute(select(_T.c.expires_at).where(_T.c.key == key)).scalar()
        return float(expires) if expires is not None else self._clock()

    def check(self) -> bool:
        try:
            with self._store.reading() as tx:
                tx.connection.execute(select(literal(1)))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self._store.transaction() as tx:
            return int(tx.connection.execute(delete(_T)).rowcount)

    def clear(self, key: str) -> None:
        with self._store.transaction() as tx:
            tx.connection.execute(delete(_T).where(_T.c.key == key))
