"""The test host application's own models: a small CRM of contacts in partner territories."""

from __future__ import annotations

from sqlalchemy import MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class HostBase(DeclarativeBase):
    metadata = MetaData()


class Contact(HostBase):
    __tablename__ = "crm_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    partnership_reference: Mapped[str | None] = mapped_column(String(40))
