"""The import contracts (pyproject.toml [tool.importlinter]) hold, and they catch what they forbid.

`make lint` runs the same contracts; running them here makes `make test` check the layers too.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

LAYERS = [
    "corridor.web : corridor.api",
    "corridor.transfer : corridor.statistics",
    "corridor.intake : corridor.relocation : corridor.documentation",
    "corridor.cases",
    "corridor.notifications",
    "corridor.accounts",
    "corridor.audit",
    "corridor.core",
    "corridor.keys",
]


def _lint_imports(cwd: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    # --no-cache: no .import_linter_cache left in the tree; the package is read from `cwd`.
    command = [str(LINT_IMPORTS), "--no-cache", *(arg for contract in contracts for arg in ("--contract", contract))]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def _contracts() -> dict[str, dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def test_the_import_contracts_hold() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(_contracts())} kept, 0 broken." in result.stdout


def test_the_contracts_say_what_the_design_says() -> None:
    contracts = _contracts()
    # Other contracts may join these (the keys facade); these four must stay as they are.
    assert {"acyclic", "crypto-in-keys", "intake-relocation", "layers"} <= set(contracts)
    assert contracts["layers"]["layers"] == LAYERS
    # Only tests may cross the layers; production code has no exemption.
    assert contracts["layers"]["ignore_imports"] == ["corridor.*.tests.** -> corridor.**"]
    assert contracts["crypto-in-keys"]["forbidden_modules"] == ["cryptography", "argon2", "pyrage", "nacl"]
    assert contracts["crypto-in-keys"]["ignore_imports"] == ["corridor.*.tests.** -> pyrage"]
    sources = contracts["crypto-in-keys"]["source_modules"]
    assert isinstance(sources, list) and "corridor.keys" not in sources


def test_each_contract_fails_on_the_import_it_forbids(tmp_path: Path) -> None:
    """A copy of the package with one violation per contract: each contract reports its own."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(
        ROOT / "corridor",
        tmp_path / "corridor",
        ignore=shutil.ignore_patterns("__pycache__", "static", "templates", "locale", "*.mo", "*.po"),
    )
    violations = {
        "corridor/core/ids.py": "import corridor.web.views",  # the bottom reaching for the top
        "corridor/cases/models.py": "import cryptography",  # crypto outside keys
        "corridor/intake/models.py": "import corridor.relocation.models",  # intake and relocation meet
        "corridor/core/uploads.py": "import corridor.core.ids",  # with ids -> uploads below: a cycle
        "corridor/web/views.py": "import corridor.keys.instance",  # past the keys facade
    }
    violations_too = {"corridor/core/ids.py": "import corridor.core.uploads"}
    for changes in (violations, violations_too):
        for path, line in changes.items():
            with (tmp_path / path).open("a") as module:
                module.write(f"\n{line}  # noqa: E402,F401\n")

    expected = {
        "layers": "corridor.core is not allowed to import corridor.web",
        "crypto-in-keys": "corridor.cases is not allowed to import cryptography",
        "intake-relocation": "corridor.intake is not allowed to import corridor.relocation",
        "acyclic": "No cycles are allowed in corridor.core.",
        "keys-facade": "corridor.web is not allowed to import corridor.keys.instance",
    }
    for contract, message in expected.items():
        result = _lint_imports(tmp_path, contract)
        assert (result.returncode, "Contracts: 0 kept, 1 broken." in result.stdout) == (1, True), result.stdout
        assert message in result.stdout, result.stdout
