"""Addresses, kept as personal data beside the events (infra/private_store.py): a shopper's
address book, and the addresses orders were placed to (events name those by id only)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.addresses import Address
from domain.errors import NotFound
from infra.private_store import PrivateStore

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://order-platform/addresses")
MAX_BOOK = 50  # addresses a shopper may keep

_COLUMNS = "id, user_id, kind, data, is_default, created_at"
_INSERT = (
    f"INSERT INTO addresses ({_COLUMNS})"
    " VALUES (:id, :user_id, :kind, :data, :is_default, :created_at)"
)


@dataclass(frozen=True)
class StoredAddress:
    id: uuid.UUID
    address: Address
    is_default: bool


class AddressStore(PrivateStore):
    def _row(self, row: Any) -> StoredAddress:
        raw = row["id"]
        return StoredAddress(
            id=raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw)),
            address=Address(**json.loads(row["data"])),
            is_default=bool(row["is_default"]),
        )

    # -- the address book ----------------------------------------------------------------------

    def book(self, user_id: uuid.UUID) -> list[StoredAddress]:
        """The default first, then newest first."""
        rows = self._all(
            f"SELECT {_COLUMNS} FROM addresses WHERE user_id = :user_id AND kind = 'book'"
            " ORDER BY is_default DESC, created_at DESC",
            {"user_id": self._id(user_id)},
        )
        return [self._row(row) for row in rows]

    def entry(self, user_id: uuid.UUID, address_id: uuid.UUID) -> StoredAddress:
        row = self._first(
            f"SELECT {_COLUMNS} FROM addresses"
            " WHERE id = :id AND user_id = :user_id AND kind = 'book'",
            {"id": self._id(address_id), "user_id": self._id(user_id)},
        )
        if row is None:
            raise NotFound("address not found")
        return self._row(row)

    def add(self, user_id: uuid.UUID, address: Address, default: bool) -> StoredAddress:
        """A new entry; the first one, or one asked to be, is the default."""
        existing = self.book(user_id)
        if len(existing) >= MAX_BOOK:
            from domain.errors import InvalidCommand

            raise InvalidCommand(f"an address book holds at most {MAX_BOOK} addresses")
        default = default or not existing
        new_id = uuid.uuid4()
        with self._cursor(commit=True) as cursor:
            if default:
                self._clear_default(cursor, user_id)
            cursor.execute(
                self._sql(_INSERT), self._values(new_id, user_id, "book", address, default)
            )
        return StoredAddress(new_id, address, default)

    def replace(
        self, user_id: uuid.UUID, address_id: uuid.UUID, address: Address, default: bool
    ) -> StoredAddress:
        current = self.entry(user_id, address_id)
        default = default or current.is_default
        with self._cursor(commit=True) as cursor:
            if default:
                self._clear_default(cursor, user_id)
            cursor.execute(
                self._sql(
                    "UPDATE addresses SET data = :data, is_default = :is_default WHERE id = :id"
                ),
                {
                    "data": json.dumps(address.as_dict(), sort_keys=True),
                    "is_default": default,
                    "id": self._id(address_id),
                },
            )
        return StoredAddress(address_id, address, default)

    def remove(self, user_id: uuid.UUID, address_id: uuid.UUID) -> None:
        """Delete an entry; if it was the default, the newest one left becomes it."""
        current = self.entry(user_id, address_id)
        self._execute("DELETE FROM addresses WHERE id = :id", {"id": self._id(address_id)})
        rest = self.book(user_id)
        if current.is_default and rest:
            self.replace(user_id, rest[0].id, rest[0].address, True)

    def _clear_default(self, cursor: Any, user_id: uuid.UUID) -> None:
        cursor.execute(
            self._sql(
                "UPDATE addresses SET is_default = :no"
                " WHERE user_id = :user_id AND kind = 'book' AND is_default = :yes"
            ),
            {"no": False, "yes": True, "user_id": self._id(user_id)},
        )

    # -- the addresses of orders ---------------------------------------------------------------

    def keep_for_order(self, user_id: uuid.UUID, address: Address) -> uuid.UUID:
        """The id an order refers to this address by: derived from its owner and content (the
        same address gives the same row, so a retried checkout names it again)."""
        canonical = json.dumps(address.as_dict(), sort_keys=True)
        address_id = uuid.uuid5(_NAMESPACE, f"{user_id}:{canonical}")
        self._execute(
            _INSERT + " ON CONFLICT (id) DO NOTHING",
            self._values(address_id, user_id, "order", address, False),
        )
        return address_id

    def many(self, address_ids: set[uuid.UUID]) -> dict[uuid.UUID, Address]:
        """The addresses still kept of these ids (an erased person's are gone)."""
        wanted = [a for a in address_ids if a is not None]
        if not wanted:
            return {}
        names = [f"id{i}" for i in range(len(wanted))]
        rows = self._all(
            f"SELECT {_COLUMNS} FROM addresses WHERE id IN ({', '.join(':' + n for n in names)})",
            {n: self._id(a) for n, a in zip(names, wanted, strict=True)},
        )
        return {stored.id: stored.address for stored in map(self._row, rows)}

    def erase(self, user_id: uuid.UUID) -> int:
        """Every address of this person, book and orders alike; how many rows went."""
        count = len(
            self._all("SELECT id FROM addresses WHERE user_id = :u", {"u": self._id(user_id)})
        )
        self._execute("DELETE FROM addresses WHERE user_id = :u", {"u": self._id(user_id)})
        return count

    def _values(
        self, address_id: uuid.UUID, user_id: uuid.UUID, kind: str, address: Address, default: bool
    ) -> dict[str, Any]:
        return {
            "id": self._id(address_id),
            "user_id": self._id(user_id),
            "kind": kind,
            "data": json.dumps(address.as_dict(), sort_keys=True),
            "is_default": default,
            "created_at": self._time(datetime.now(UTC)),
        }
