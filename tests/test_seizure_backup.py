"""The seizure test over backups (Invariant 1, issue 13 item 4): plant one of everything through
the real pages and API, take a backup, and search the archive for the planted secrets — as
written (age ciphertext), after a trustee removes the outer age layer (the tar stream and each
member in it; on PostgreSQL the custom-format dump is also expanded to plain SQL, since it is
compressed), and the data directory after the backup (its scratch files are gone).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pyrage
import pytest
from django.db import connection
from django.test import Client

from corridor.accounts.models import Role, Team, User
from corridor.accounts.testing import make_staff, sign_in
from corridor.transfer import backup
from corridor.transfer.domain import backups as backup_domain
from tests.seizure import scan_at_rest, scan_sources
from tests.test_seizure import plant

pytestmark = [pytest.mark.django_db(transaction=True)]


def _pg_plain(dump: bytes, tmp_path: Path) -> bytes:
    """A custom-format dump as plain SQL (pg_restore -f -), so compressed rows are searched too."""
    path = tmp_path / "member.pgdump"
    path.write_bytes(dump)
    executable = shutil.which("pg_restore")
    assert executable, "pg_restore is missing: install the postgresql-client package"
    result = subprocess.run(
        [executable, "-f", "-", str(path)], capture_output=True, timeout=300, check=False, env=dict(os.environ)
    )  # noqa: S603 -- a test runs pg_restore on its own file
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout


def test_nothing_planted_is_in_a_backup_even_without_its_outer_layer(tmp_path: Path) -> None:
    team = Team.objects.create(name="North Caucasus")
    user: User = make_staff(Role.CASEWORKER, teams=[team], username="seizure-caseworker")
    planted = plant(sign_in(Client(), user), user, team)
    identity = pyrage.x25519.Identity.generate()
    backup_domain.add_recipient("trustee 1", str(identity.to_public()))

    archive = tmp_path / "backup.age"
    with archive.open("wb") as out:
        manifest = backup.take(out, [str(identity.to_public())])
    assert any(member.name.startswith("media/") for member in manifest.members), "the plant uploaded files"

    sealed = archive.read_bytes()
    opened = pyrage.decrypt(sealed, [identity])
    sources: list[tuple[str, bytes]] = [("archive (age)", sealed), ("archive without its age layer (tar)", opened)]
    with tarfile.open(fileobj=io.BytesIO(opened), mode="r:") as tar:
        for info in tar:
            member = tar.extractfile(info)
            assert member is not None
            data = member.read()
            sources.append((f"member {info.name}", data))
            if info.name == backup.PG_MEMBER:
                sources.append((f"member {info.name} as plain SQL", _pg_plain(data, tmp_path)))
    names = {name for name, _data in sources}
    assert f"member {backup.SQLITE_MEMBER if connection.vendor == 'sqlite' else backup.PG_MEMBER}" in names
    assert "member keys/keystore.json" in names

    assert scan_sources(planted.secrets, sources) == []
    # The backup's scratch copy of the database left nothing behind in the data directory.
    assert scan_at_rest(planted.secrets) == []


def test_the_scan_would_find_a_secret_in_a_member(tmp_path: Path) -> None:
    """The scan above is not blind: a secret stored in clear in the data directory is found in the
    archive once its outer layer is removed, and not in the age ciphertext."""
    identity = pyrage.x25519.Identity.generate()
    secret = "Clear-Backup-Secret-5b1e"
    from django.conf import settings

    media = Path(settings.DATA_DIR) / "media"
    media.mkdir(exist_ok=True)
    (media / "planted.txt").write_text(secret)
    try:
        archive = tmp_path / "backup.age"
        with archive.open("wb") as out:
            backup.take(out, [str(identity.to_public())])
        sealed = archive.read_bytes()
        assert scan_sources({"secret": secret}, [("archive (age)", sealed)]) == []
        assert scan_sources({"secret": secret}, [("opened", pyrage.decrypt(sealed, [identity]))]) != []
    finally:
        (media / "planted.txt").unlink()
