def test_openapi_document_describes_the_case_api(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    assert spec["openapi"].startswith("3.")
    assert {
        "/cases",
        "/cases/{case_id}",
        "/cases/{case_id}/transitions",
        "/cases/{case_id}/assign",
        "/cases/{case_id}/transfer",
        "/cases/{case_id}/comments",
        "/cases/{case_id}/merge",
        "/units",
    } <= set(spec["paths"])
    transition = spec["components"]["schemas"]["Transition"]
    assert {"to", "version"} <= set(transition["required"])
    assert "409" in spec["paths"]["/cases/{case_id}/transitions"]["post"]["responses"]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_browsable_docs_need_no_token(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)

    assert "/api/v1/cases/{case_id}/transitions" in page
    assert "CaseCreate" in page
