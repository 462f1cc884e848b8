"""Where things live. Flags win, then environment variables, then defaults under one home folder."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from sources.pseudonym import Pseudonymizer, random_key

log = logging.getLogger("helhedsdata")

REPO = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO / "dbt_project"
WAREHOUSE_ENV = "HELHEDSDATA_WAREHOUSE"  # the warehouse path dbt's profile reads (profiles.yml)
PLANS_DIR = REPO / "plans"
# Marks an inbox written by `helhedsdata generate`: only such an inbox may be read
# with a throw-away pseudonym key.
SYNTHETIC_MARKER = ".synthetic"


_warned: list = []  # the throw-away-key warning is given once per process


def ensure_dbt_on_path() -> None:
    """dagster-dbt runs `dbt` from PATH; started as .venv/bin/<tool> the venv is not on it."""
    import shutil
    import sys

    bin_dir = Path(sys.executable).parent
    if shutil.which("dbt") is None and (bin_dir / "dbt").exists():
        os.environ["PATH"] = str(bin_dir) + os.pathsep + os.environ.get("PATH", "")


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Settings:
    home: Path
    inbox: Path
    publish_url: str | None = None
    plans: Path = PLANS_DIR  # the plan files (one YAML per plan); the repo's seed plans by default

    @classmethod
    def from_env(cls, home: str | Path | None = None, inbox: str | Path | None = None) -> "Settings":
        h = Path(home or os.environ.get("HELHEDSDATA_HOME") or ".helhedsdata").resolve()
        i = Path(inbox or os.environ.get("HELHEDSDATA_INBOX") or h / "inbox").resolve()
        plans = Path(os.environ.get("HELHEDSDATA_PLANS") or PLANS_DIR).resolve()
        return cls(h, i, os.environ.get("HELHEDSDATA_PUBLISH_URL") or None, plans)

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        # Not `published.duckdb`: a file named like its schema makes `published.t` ambiguous.
        return self.home / "publication.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def quarantine(self) -> Path:
        return self.home / "quarantine"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def reports(self) -> Path:
        # The status report per plan and index.html (report/, written after each publication).
        return self.home / "reports"

    @property
    def dbt_target(self) -> Path:
        # One per home, reused run after run: dbt's partial parse state is tied to the
        # profile (the warehouse path), so it stays valid here and nowhere else.
        return self.home / "dbt" / "target"

    @property
    def throwaway_key_file(self) -> Path:
        return self.home / "throwaway-pseudonym.key"

    def export_env(self) -> None:
        """Make the settings visible to dbt (profiles.yml) and to Dagster's code location."""
        os.environ["HELHEDSDATA_HOME"] = str(self.home)
        os.environ["HELHEDSDATA_INBOX"] = str(self.inbox)
        os.environ["HELHEDSDATA_PLANS"] = str(self.plans)
        os.environ[WAREHOUSE_ENV] = str(self.warehouse)
        os.environ["DAGSTER_HOME"] = str(self.dagster_home)
        os.environ["DBT_LOG_PATH"] = str(self.home / "dbt" / "logs")  # not a shared file in the repo
        if self.publish_url:
            os.environ["HELHEDSDATA_PUBLISH_URL"] = self.publish_url

    def key_problem(self) -> str | None:
        """Why no pseudonym key may be used for this inbox (None: one may), writing nothing."""
        key = os.environ.get("HELHEDSDATA_PSEUDONYM_KEY")
        if key:
            if len(key.encode("utf-8")) < 16:
                return ("HELHEDSDATA_PSEUDONYM_KEY is shorter than 16 bytes: use a long random "
                        "secret (e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)")
            return None
        if not (self.inbox / SYNTHETIC_MARKER).exists():
            return ("HELHEDSDATA_PSEUDONYM_KEY is not set: refusing to read a real inbox without the "
                    f"secret pseudonym key ({self.inbox} is not a synthetic inbox). See docs/runbook.md.")
        return None

    def pseudonymizer(self) -> Pseudonymizer:
        problem = self.key_problem()
        if problem:
            raise ConfigError(problem)
        key = os.environ.get("HELHEDSDATA_PSEUDONYM_KEY")
        if key:
            return Pseudonymizer(key.encode("utf-8"))
        # Synthetic data only: a throw-away key kept in the home folder, so pseudonyms
        # stay stable between runs of the same demo.
        path = self.throwaway_key_file
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(random_key().hex().encode())
            path.chmod(0o600)
        if not _warned:
            _warned.append(path)
            log.warning("HELHEDSDATA_PSEUDONYM_KEY not set: using the throw-away key %s "
                        "(synthetic data only; never for real data)", path)
        return Pseudonymizer(path.read_bytes())
