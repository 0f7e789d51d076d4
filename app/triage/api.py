"""POST /api/v1/triage (stores nothing) and GET /api/v1/places/resolve."""

from flask import jsonify, request

from app.api import ApiError, api
from app.triage.pipeline import analyse, place_of
from app.triage.schemas import PlaceQuerySchema, TriageRequestSchema


@api.post("/triage")
def triage_texts():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "send a JSON object with Content-Type: application/json")
    data = TriageRequestSchema().load(body)
    texts = data["texts"] if "texts" in data else [data["text"]]
    scopes = [data["scope"]] * len(texts)
    results = [analysis.as_json() for analysis in analyse(texts, scopes=scopes)]
    if "text" in data:
        return jsonify(results[0])
    return jsonify({"items": results})


@api.get("/places/resolve")
def resolve_place():
    query = PlaceQuerySchema().load(request.args)["q"]
    place = place_of(query)
    if place is None:
        return jsonify(
            {
                "q": query,
                "wards": [],
                "former_district": None,
                "confidence": 0.0,
                "reason": "no HCMC place found",
            }
        )
    return jsonify({"q": query, **place})
