"""The route decorator: JSON parsing, validation, role checks and the error
contract, on a probe app of its own (so it never shows up in gongyi's API)."""

from chalice import Blueprint, Chalice
from chalice.test import Client
from pydantic import BaseModel, Field

from chalicelib.api.routing import api_route
from chalicelib.auth import Role
from chalicelib.errors import NotFound

probe = Blueprint(__name__)


class Thing(BaseModel):
    name: str = Field(min_length=1, max_length=10)
    amount_fen: int = Field(ge=1)


@api_route(probe, "/things", "POST", body=Thing, response=Thing, status=201, roles=[Role.PLATFORM_ADMIN])
def create_thing(ctx):
    return ctx.body


@api_route(probe, "/things/{thing_id}", "GET")
def get_thing(ctx, thing_id):
    if thing_id == "boom":
        raise RuntimeError("secret internals 13812345678")
    raise NotFound(f"no thing {thing_id}")


probe_app = Chalice("probe")
probe_app.register_blueprint(probe)


def probe_client():
    return Client(probe_app)


def test_valid_body_is_parsed_and_returned(aws, auth):
    with probe_client() as client:
        response = client.http.post(
            "/things", headers=auth("platform_admin"), body='{"name": "口罩", "amount_fen": 100}'
        )
    assert response.status_code == 201
    assert response.json_body == {"name": "口罩", "amount_fen": 100}


def test_malformed_json_is_400_invalid_json(aws, auth):
    with probe_client() as client:
        response = client.http.post("/things", headers=auth("platform_admin"), body='{"name": ')
    assert response.status_code == 400
    assert response.json_body["error"]["code"] == "invalid_json"


def test_validation_failure_is_422_naming_the_fields(aws, auth):
    with probe_client() as client:
        response = client.http.post("/things", headers=auth("platform_admin"), body='{"name": "", "amount_fen": -1}')
    assert response.status_code == 422
    error = response.json_body["error"]
    assert error["code"] == "validation_error"
    assert {d["field"] for d in error["details"]} == {"name", "amount_fen"}


def test_wrong_role_is_403(aws, auth):
    with probe_client() as client:
        response = client.http.post("/things", headers=auth("donor"), body='{"name": "a", "amount_fen": 1}')
    assert response.status_code == 403
    assert response.json_body["error"]["code"] == "forbidden"


def test_domain_error_maps_to_its_status(aws):
    with probe_client() as client:
        response = client.http.get("/things/x1")
    assert response.status_code == 404
    assert response.json_body["error"]["code"] == "not_found"


def test_unexpected_exception_is_500_with_correlation_id_and_no_internals(aws, capsys):
    with probe_client() as client:
        response = client.http.get("/things/boom")
    assert response.status_code == 500
    error = response.json_body["error"]
    assert error["code"] == "internal_error"
    assert "correlation_id" in error
    assert "secret internals" not in response.body.decode()
    assert "13812345678" not in capsys.readouterr().out
