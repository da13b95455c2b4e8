from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import MakeClient


def test_health_reports_database_and_redis(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["redis"] == "disabled"
    assert body["version"]


def test_ready_when_database_answers(client: TestClient) -> None:
    assert client.get("/ready").status_code == 200


def test_ready_is_503_when_redis_is_configured_but_down(make_client: MakeClient) -> None:
    client = make_client(redis_url="redis://127.0.0.1:1/0")
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["redis"] == "down"
    assert client.get("/health").status_code == 200


def test_docs_served_without_a_cdn(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/_docs/swagger-ui-bundle.js" in page.text
    assert client.get("/_docs/swagger-ui-bundle.js").status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "ChronoView"


def test_pages_carry_security_headers(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
