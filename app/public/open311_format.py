"""Open311 GeoReport v2 documents: plain dicts and lists, written out as JSON or XML.

Field names follow the GeoReport v2 specification; XML wraps each list in the
spec's root element (services/service, service_requests/request, errors/error…).
"""

import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime

from flask import Response, json

from app.cases.labels import CATEGORY_LABELS
from app.cases.workflow import OPEN_STATUSES
from app.public.operations import PublicCase

#: GeoReport v2 fields of a service (GET services).
SERVICE_FIELDS = (
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
)
#: GeoReport v2 fields of a service request (GET requests).
REQUEST_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)
#: One optional attribute: the place in the citizen's words, which the gazetteer reads.
PLACE_ATTRIBUTE = {
    "variable": True,
    "code": "place",
    "datatype": "string",
    "required": False,
    "datatype_description": "Street, landmark, ward or former district",
    "order": 1,
    "description": "Where the problem is, in words (e.g. 'đường Nguyễn Hữu Cảnh, Bình Thạnh')",
}
#: Singular element names inside each XML root.
XML_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def iso(value: datetime | None) -> str | None:
    """W3C date-time with its offset, as the spec asks; naive values are UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat(timespec="seconds")


def open_or_closed(status: str) -> str:
    """Open311 has two statuses: a case still being worked is open, everything else closed."""
    return "open" if status in {s.value for s in OPEN_STATUSES} else "closed"


def service(code: str) -> dict:
    """A category as an Open311 service."""
    return {
        "service_code": code,
        "service_name": str(CATEGORY_LABELS[code]),
        "description": str(CATEGORY_LABELS[code]),
        "metadata": True,
        "type": "realtime",
        "keywords": code.replace("_", ","),
        "group": "city",
    }


def service_definition(code: str) -> dict:
    """The attributes a request for this service may carry."""
    return {"service_code": code, "attributes": [PLACE_ATTRIBUTE]}


def service_request(case: PublicCase, locale: str = "vi") -> dict:
    """A masked public case as an Open311 service request."""
    place = case.ward.display_name(locale) if case.ward else None
    if case.former_district is not None:
        place = f"{place}, {case.former_district.name}" if place else case.former_district.name
    return {
        "service_request_id": case.code,
        "status": open_or_closed(case.status),
        "status_notes": case.public_response or None,
        "service_name": str(CATEGORY_LABELS.get(case.category, case.category)),
        "service_code": case.category,
        "description": case.description or case.title,
        "agency_responsible": case.unit.display_name(locale),
        "service_notice": None,
        "requested_datetime": iso(case.created_at),
        "updated_datetime": iso(case.updated_at),
        "expected_datetime": iso(case.promised_response_at),
        "address": place,
        "address_id": None,
        "zipcode": None,
        "lat": case.latitude,
        "long": case.longitude,
        "media_url": None,
    }


def _xml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _to_xml(parent: ElementTree.Element, name: str, value) -> None:
    element = ElementTree.SubElement(parent, name)
    if isinstance(value, dict):
        for key, item in value.items():
            _to_xml(element, key, item)
    elif isinstance(value, list):
        for item in value:
            _to_xml(element, XML_ITEMS.get(name, "item"), item)
    else:
        element.text = _xml_value(value)


def render(document, root: str, fmt: str, status: int = 200) -> Response:
    """Serialise a document: a list becomes `root` with one child per item; a dict becomes `root`."""
    if fmt == "xml":
        element = ElementTree.Element(root)
        if isinstance(document, list):
            for item in document:
                _to_xml(element, XML_ITEMS.get(root, "item"), item)
        else:
            for key, item in document.items():
                _to_xml(element, key, item)
        body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(
            element, encoding="utf-8", xml_declaration=False
        )
        return Response(body, status=status, mimetype="text/xml")
    return Response(
        json.dumps(document, ensure_ascii=False), status=status, mimetype="application/json"
    )


def errors(status: int, description: str, fmt: str) -> Response:
    """The spec's error list: [{"code", "description"}]."""
    return render([{"code": status, "description": description}], "errors", fmt, status)
