"""Administrative and organisational units: wards, communes, departments, police."""

import enum

from sqlalchemy import Column, Float, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.text import fold
from app.extensions import db
from app.models import UTCDateTime, utcnow


class UnitKind(enum.StrEnum):
    department = "department"
    ward = "ward"
    commune = "commune"
    special_zone = "special_zone"
    police = "police"
    city_office = "city_office"


#: The kinds that are today's HCMC administrative units (phường, xã, đặc khu).
LOCAL_KINDS = (UnitKind.ward, UnitKind.commune, UnitKind.special_zone)

unit_former_districts = Table(
    "unit_former_districts",
    db.metadata,
    Column("unit_id", ForeignKey("units.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "former_district_id",
        ForeignKey("former_districts.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)


class FormerDistrict(db.Model):
    """A district (quận/huyện/TP Thủ Đức) abolished on 1 July 2025 that people still name."""

    __tablename__ = "former_districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The official code of the former district (e.g. "778" for Quận 7).
    code: Mapped[str] = mapped_column(String(16), unique=True)
    #: Its Vietnamese name, e.g. "Quận 7", "Thành phố Thủ Đức".
    name: Mapped[str] = mapped_column(String(120))
    #: The former province it belonged to (HCMC, Bình Dương, Bà Rịa – Vũng Tàu).
    province: Mapped[str] = mapped_column(String(120))

    wards: Mapped[list["Unit"]] = relationship(
        secondary=unit_former_districts, back_populates="former_districts", order_by="Unit.name_vi"
    )


class Unit(db.Model):
    """A unit that cases are routed to, or a place that cases happen in."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: department, ward, commune, special_zone, police or city_office.
    kind: Mapped[str] = mapped_column(String(20), index=True)
    #: The official code (ward codes from the 2025 list) or a stable code for departments.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    #: The unit this one reports to; supervisors see the units under theirs.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="SET NULL"), index=True
    )
    #: Lower-case, diacritics-free names and code, for search that ignores accents.
    search_text: Mapped[str] = mapped_column(String(600), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    #: Area in km², for wards and communes.
    area_km2: Mapped[float | None] = mapped_column(Float)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    #: Public responses written by officers wait for a supervisor's approval.
    requires_response_approval: Mapped[bool] = mapped_column(default=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    parent: Mapped["Unit | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Unit"]] = relationship(back_populates="parent")
    former_districts: Mapped[list[FormerDistrict]] = relationship(
        secondary=unit_former_districts, back_populates="wards", order_by=FormerDistrict.name
    )

    def refresh_search_text(self) -> None:
        """Recompute the folded text used by diacritics-insensitive search."""
        self.search_text = fold(f"{self.code} {self.name_vi} {self.name_en}")

    def display_name(self, locale: str = "vi") -> str:
        """The unit's name in the given language."""
        return self.name_en if locale == "en" else self.name_vi
