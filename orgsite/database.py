"""The database as the site sees it fail: out of reach, or reached and refusing the connection
for a fault of DATABASE_URL's (database_failure_said); and, within a web request, connected to
once (connect_failure_reused)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import OperationalError, connections
from django.db.backends.base.base import BaseDatabaseWrapper


@dataclass(frozen=True)
class Refusal:
    """A connection PostgreSQL answered and refused: a few fixed words for /healthz (`detail`),
    and what to fix for the log (`fix`). Neither quotes the error, which names hosts."""

    detail: str
    fix: str


# The other way out of a limit on connections: the server's, a role's or a database's.
_HOLD_FEWER_CONNECTIONS = (
    "have the site and its other clients hold fewer (fewer web threads or worker processes, "
    "DATABASE_CONN_MAX_AGE=0, a pooler such as PgBouncer)"
)

# libpq's words for a connection PostgreSQL refused on DATABASE_URL's account (or its own
# pg_hba.conf's or SSL's, or the user's grants): it answered, so waiting mends nothing, but for
# its connection slots, which free as clients leave. They carry no SQLSTATE (none is read before
# the session starts), so the message is read; a server whose lc_messages is another language
# is taken for one out of reach. None of them quotes the password. "SSL SYSCALL error" is not
# one: the server (or what is between) hung up, as a server gone away does.
_REFUSALS = (
    (
        # Said of a user PostgreSQL does not have too, when it asks for a password (md5,
        # scram-sha-256): only its own log says "Role … does not exist".
        re.compile(r"password authentication failed"),
        Refusal(
            detail="refused the password (check DATABASE_URL)",
            fix=(
                "PostgreSQL refused DATABASE_URL's password for its user, or has no such user "
                "(it says the same of one): fix the password or the user name"
            ),
        ),
    ),
    (
        re.compile(r"no password supplied"),
        Refusal(
            detail="asked for a password (check DATABASE_URL)",
            fix="PostgreSQL asks for a password and DATABASE_URL has none: add it",
        ),
    ),
    (
        re.compile(r'database ".*" does not exist'),
        Refusal(
            detail="no such database (check DATABASE_URL)",
            fix="PostgreSQL has no database of DATABASE_URL's name: fix the name after the host",
        ),
    ),
    (
        re.compile(r'role ".*" does not exist'),
        Refusal(
            detail="no such user (check DATABASE_URL)",
            fix="PostgreSQL has no role of DATABASE_URL's user: fix the user name",
        ),
    ),
    (
        re.compile(r"no pg_hba\.conf entry"),
        Refusal(
            detail="refused this host (check pg_hba.conf)",
            fix=(
                "PostgreSQL's pg_hba.conf lets DATABASE_URL's user and database in from no "
                "address of this host (or only over SSL: ?sslmode=require): fix one of them"
            ),
        ),
    ),
    (
        re.compile(r"pg_hba\.conf rejects connection"),
        Refusal(
            detail="refused this host (check pg_hba.conf)",
            fix=(
                "PostgreSQL's pg_hba.conf has a reject line for DATABASE_URL's user and "
                "database from this host: fix one of them"
            ),
        ),
    ),
    (
        re.compile(r'role ".*" is not permitted to log in'),
        Refusal(
            detail="user may not log in (check its role)",
            fix="PostgreSQL's role of DATABASE_URL's user may not log in (NOLOGIN): give it LOGIN",
        ),
    ),
    (
        re.compile(r'permission denied for database ".*"'),
        Refusal(
            detail="user may not connect (check the database's CONNECT grant)",
            fix=(
                "PostgreSQL denies DATABASE_URL's user CONNECT on its database: grant it "
                "(GRANT CONNECT ON DATABASE)"
            ),
        ),
    ),
    (
        # "… reserved for non-replication superuser connections" before PostgreSQL 16, "… for
        # roles with the SUPERUSER attribute" (or pg_use_reserved_connections) since.
        re.compile(r"sorry, too many clients already|remaining connection slots are reserved"),
        Refusal(
            detail="no connection left (check max_connections)",
            fix=(
                "PostgreSQL has all the connections its max_connections allows: raise it, or "
                f"{_HOLD_FEWER_CONNECTIONS}"
            ),
        ),
    ),
    (
        # SQLSTATE 53300 too: the role's or the database's own CONNECTION LIMIT, reached
        # before max_connections.
        re.compile(r"too many connections for (role|database) "),
        Refusal(
            detail="no connection left (check the CONNECTION LIMIT)",
            fix=(
                "PostgreSQL has all the connections the CONNECTION LIMIT of DATABASE_URL's "
                "user or database allows: raise it (ALTER ROLE or ALTER DATABASE), or "
                f"{_HOLD_FEWER_CONNECTIONS}"
            ),
        ),
    ),
    (
        re.compile(r"server does not support SSL, but SSL was required"),
        Refusal(
            detail="offers no SSL (check DATABASE_URL's sslmode)",
            fix=(
                "DATABASE_URL asks for SSL (?sslmode=require or stricter, or PGSSLMODE) and "
                "PostgreSQL offers none: turn its ssl on, or fix the host"
            ),
        ),
    ),
    (
        re.compile(r"SSL error: certificate verify failed"),
        Refusal(
            detail="certificate not trusted (check DATABASE_URL's sslrootcert)",
            fix=(
                "PostgreSQL's certificate is not signed by an authority of DATABASE_URL's "
                "?sslrootcert= (~/.postgresql/root.crt unless set), or has expired: give the "
                "file of the authority that signed it (sslrootcert=system: the system's)"
            ),
        ),
    ),
    (
        # libpq's own, before it reads the certificate: the file to check it against is missing,
        # or its default, under a home directory it could not find (no HOME, no passwd entry).
        re.compile(
            r'root certificate file ".*" does not exist'
            r"|could not get home directory to locate root certificate file"
        ),
        Refusal(
            detail="no root certificate (check DATABASE_URL's sslrootcert)",
            fix=(
                "DATABASE_URL has PostgreSQL's certificate checked (?sslmode=verify-ca or "
                "verify-full) against a file of authorities that this account does not have, "
                "DATABASE_URL's ?sslrootcert= (~/.postgresql/root.crt unless set): give it, or "
                "sslrootcert=system for the system's"
            ),
        ),
    ),
    (
        re.compile(r"server certificate for .* does not match host name"),
        Refusal(
            detail="certificate of another host (check DATABASE_URL's host)",
            fix=(
                "PostgreSQL's certificate does not name DATABASE_URL's host, which "
                "?sslmode=verify-full requires: write the host as the certificate names it"
            ),
        ),
    ),
)
UNREACHABLE = "the database could not be reached"


def database_refusal(error: BaseException) -> Refusal | None:
    """What PostgreSQL refused in `error`, a failed connect; None when it could not be reached
    (or `error` is another failure)."""
    if not isinstance(error, OperationalError):
        return None
    text = str(error)
    return next((refusal for pattern, refusal in _REFUSALS if pattern.search(text)), None)


def database_failure_said(error: BaseException) -> str:
    """`error`'s failure in words for a log line: out of reach, or refused and what to fix."""
    refusal = database_refusal(error)
    return f"the database refused the connection: {refusal.fix}" if refusal else UNREACHABLE


_connect_failure: ContextVar[OperationalError | None] = ContextVar("connect_failure", default=None)


def connect_failure() -> OperationalError | None:
    """The error of the connect that failed within connect_failure_reused's block, if one did."""
    return _connect_failure.get()


@contextmanager
def connect_failure_reused() -> Iterator[None]:
    """Within the block, a database that failed to connect is not asked again: each query after
    the failure raises its error at once. A signed-in visitor's page connected for the view,
    then again for request.user read after it (SignedInPagesNotStored), each waiting out
    connect_timeout on a PostgreSQL whose packets are dropped."""
    # On the instance: the class's own method is what it calls, and what is back after. A
    # request made within another (a test's) keeps the outer one's, which reads this block's
    # failure as well.
    wrappers = [
        wrapper for wrapper in connections.all() if "ensure_connection" not in vars(wrapper)
    ]
    token = _connect_failure.set(None)
    for wrapper in wrappers:
        wrapper.ensure_connection = _connected_once(wrapper)
    try:
        yield
    finally:
        for wrapper in wrappers:
            del wrapper.ensure_connection
        _connect_failure.reset(token)


def _connected_once(wrapper: BaseDatabaseWrapper) -> Callable[[], None]:
    def ensure_connection() -> None:
        failure = _connect_failure.get()
        if failure is not None and wrapper.connection is None:
            raise failure
        try:
            type(wrapper).ensure_connection(wrapper)
        except OperationalError as error:
            _connect_failure.set(error)
            raise

    return ensure_connection
