"""What a permission-matrix entry says; shared by ``test_permission_matrix`` and the
``matrix_<part>.py`` modules beside it, each of which exports ``CASES`` for its own endpoints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support.world import World


@dataclass(frozen=True)
class Case:
    ok: str | None  # who succeeds (None: anonymous, for public endpoints)
    status: int  # the success status
    body: Callable[[World], dict] | None = None
    ids: dict[str, Callable[[World], Any]] = field(default_factory=dict)
    denied: tuple[str, ...] = ()  # roles that get 403
    client_hidden: bool = False  # the object is outside grace's entity → 404 for her
    public: bool = False
    audited: bool = True  # a successful write appends an audit event
    binary: bool = False  # a successful GET answers a file, not JSON


NO_ADMIN = ("bob", "carol", "dave", "frank", "grace")
NO_ADMIN_STAFF = ("bob", "carol", "dave", "frank")  # grace, a client, is answered 404 instead
NOT_MANAGERS = ("carol", "dave", "frank", "grace")
NOT_TEAM = ("dave", "frank")  # dave: a reviewer not on the project; frank: the auditor


class Multipart(dict):
    """A multipart/form-data body; callables are called per request (a fresh file each time)."""
