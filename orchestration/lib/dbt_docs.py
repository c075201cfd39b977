"""``make docs``: dbt docs for the whole project (lineage, descriptions, columns), generated and served.

The docs are generated with the dbt target ``snapshot`` (the published snapshot,
attached read-only under the warehouse's catalog name, see ``metrics.py``), so
generating them never takes the warehouse's writer lock. Every model, source,
seed, test, macro, semantic model and metric is documented from the project;
the catalog (column types and row counts read from the database) covers the
tables the snapshot holds: the marts, the audit tables and the reference seeds.
Written to ``dbt_project/target/docs`` so the run's own manifest stays as it is.

    python -m orchestration.lib.dbt_docs [--port 8080] [--generate-only]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from orchestration.lib.metrics import mf_environment
from orchestration.lib.settings import DBT_PROJECT_DIR, dbt_vars

DOCS_TARGET_PATH = Path("target") / "docs"


def dbt_command(*arguments: str) -> list[str]:
    return [str(Path(sys.executable).parent / "dbt"), *arguments]


def generate(environment: dict[str, str]) -> int:
    import json

    command = dbt_command(
        "docs", "generate", "--quiet", "--target-path", str(DOCS_TARGET_PATH), "--vars", json.dumps(dbt_vars())
    )
    return subprocess.run(command, cwd=DBT_PROJECT_DIR, env=environment, check=False).returncode


def serve(environment: dict[str, str], port: int, host: str) -> int:
    command = dbt_command(
        "docs", "serve", "--target-path", str(DOCS_TARGET_PATH), "--port", str(port), "--host", host, "--no-browser"
    )
    print(f"dbt docs on http://localhost:{port}", flush=True)
    return subprocess.run(command, cwd=DBT_PROJECT_DIR, env=environment, check=False).returncode


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--generate-only", action="store_true", help="write the docs site, do not serve it")
    arguments = parser.parse_args(argv)
    try:
        environment = mf_environment()
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    status = generate(environment)
    if status != 0 or arguments.generate_only:
        return status
    return serve(environment, arguments.port, arguments.host)


if __name__ == "__main__":
    sys.exit(main())
