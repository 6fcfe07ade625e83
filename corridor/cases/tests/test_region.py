"""The region is the one location kept unencrypted: only when the organisation chose so (through
CORRIDOR_REGION_IN_CLEAR), and then the same through the person form, the API and the domain."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, override_settings

from corridor.accounts.models import ApiToken, Role, Team
from corridor.accounts.testing import make_staff
from corridor.cases import domain
from corridor.cases.models import Person
from tests.seizure import scan_at_rest, token

pytestmark = pytest.mark.django_db(transaction=True)


def _api(role: str = Role.CASEWORKER) -> Client:
    _record, value = ApiToken.issue(make_staff(role, teams=[_team()]))
    return Client(headers={"authorization": f"Bearer {value}"})


def _team() -> Team:
    """The one team the API's people are entered into (a person always comes with a case)."""
    return Team.objects.get_or_create(name="North")[0]


def _setting_in_a_fresh_process(value: str | None, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CORRIDOR_REGION_IN_CLEAR"}
    env |= {"DJANGO_SETTINGS_MODULE": "corridor.settings", "CORRIDOR_DATA_DIR": str(tmp_path)}
    if value is not None:
        env["CORRIDOR_REGION_IN_CLEAR"] = value
    code = "from django.conf import settings; print(settings.CORRIDOR_REGION_IN_CLEAR)"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=False)


def test_the_region_setting_is_read_from_the_environment_strictly(tmp_path: Path) -> None:
    assert _setting_in_a_fresh_process(None, tmp_path).stdout.strip() == "False"
    assert _setting_in_a_fresh_process("yes", tmp_path).stdout.strip() == "True"
    assert _setting_in_a_fresh_process("off", tmp_path).stdout.strip() == "False"
    refused = _setting_in_a_fresh_process("maybe", tmp_path)
    assert refused.returncode != 0
    assert "CORRIDOR_REGION_IN_CLEAR must be one of" in refused.stderr


def test_the_api_refuses_a_region_the_organisation_does_not_keep_in_clear() -> None:
    region = f"Regionapi-{token()}"
    api = _api()
    response = api.post(
        "/api/v1/people/",
        {"names": [{"name": "Ислам Ахмедов"}], "region": region, "confirm_not_duplicate": True},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["region"]
    assert Person.objects.count() == 0
    person = domain.create_person(make_staff(Role.CASEWORKER), names=[{"name": "Ахмед"}])
    patched = api.patch(f"/api/v1/people/{person.pk}/", {"region": region}, content_type="application/json")
    assert patched.status_code in (400, 404)
    assert Person.objects.filter(region=region).count() == 0
    assert scan_at_rest({"region": region}) == []


def test_the_schema_offers_the_region_only_when_it_is_kept_in_clear() -> None:
    schema = Client().get("/api/schema/", headers={"accept": "application/json"})
    properties = schema.json()["components"]["schemas"]["PersonCreateRequest"]["properties"]
    assert "region" not in properties and "location" in properties
    with override_settings(CORRIDOR_REGION_IN_CLEAR=True):
        schema = Client().get("/api/schema/", headers={"accept": "application/json"})
        assert "region" in schema.json()["components"]["schemas"]["PersonCreateRequest"]["properties"]


@override_settings(CORRIDOR_REGION_IN_CLEAR=True)
def test_the_api_keeps_a_region_when_the_organisation_chose_so() -> None:
    response = _api().post(
        "/api/v1/people/",
        {"names": [{"name": "Ислам Ахмедов"}], "region": "North Caucasus", "team": _team().pk, "confirm_not_duplicate": True},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["region"] == "North Caucasus"
    assert list(Person.objects.values_list("region", flat=True)) == ["North Caucasus"]


def test_no_door_below_the_api_stores_a_region_unasked() -> None:
    actor = make_staff(Role.CASEWORKER)
    with pytest.raises(ValidationError) as refused:
        domain.create_person(actor, names=[{"name": "Ахмед"}], region="Chechnya")
    assert list(refused.value.message_dict) == ["region"]
    person = domain.create_person(actor, names=[{"name": "Ахмед"}])
    with pytest.raises(ValidationError):
        domain.update_person(actor, person, region="Chechnya")
    person.refresh_from_db()
    assert person.region == ""
