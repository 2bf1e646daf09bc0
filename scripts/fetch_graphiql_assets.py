"""Vendor GraphiQL's browser assets into service/static/vendor/ so the page needs no network.

Runs `npm pack` for exact, integrity-pinned versions, unpacks only the files the page loads
(plus licences) and writes manifest.json. Re-running is a no-op while the files are there;
--force fetches again. Without npm it warns and exits 0: the page then tells the operator.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "service" / "static" / "vendor"

# name -> (exact version, sha512 of the tarball as npm's lockfiles spell it, files to keep).
# graphiql 3.x is the last line that ships a UMD build; react 18 is the last with UMD builds.
PACKAGES: dict[str, tuple[str, str, list[str]]] = {
    "react": (
        "18.3.1",
        "sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ==",
        ["umd/react.production.min.js", "LICENSE"],
    ),
    "react-dom": (
        "18.3.1",
        "sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw==",
        ["umd/react-dom.production.min.js", "LICENSE"],
    ),
    "graphiql": (
        "3.8.3",
        "sha512-cuPDYtXVKV86Pu5PHBX642Odi/uVEE2y1Jxq5rGO/Qy1G2lRp7ZZ7a/T30RzxhuLSWo9zUbzq0P3U49//H0Ugw==",
        ["graphiql.min.js", "graphiql.min.css", "LICENSE"],
    ),
}


def target(name: str, member: str) -> Path:
    """Where a kept file lands: vendor/<package>/<basename>."""
    return VENDOR / name / Path(member).name


def up_to_date() -> bool:
    try:
        manifest = json.loads((VENDOR / "manifest.json").read_text())
    except (OSError, ValueError):
        return False
    wanted = {name: version for name, (version, _, _) in PACKAGES.items()}
    files_there = all(
        target(name, member).is_file()
        for name, (_, _, members) in PACKAGES.items()
        for member in members
    )
    return manifest.get("packages") == wanted and files_there


def integrity(tarball: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()


def fetch(npm: str, workdir: Path) -> None:
    specs = [f"{name}@{version}" for name, (version, _, _) in PACKAGES.items()]
    # --json prints the tarball names; npm itself checks the registry's integrity as well.
    done = subprocess.run(
        [npm, "pack", *specs, "--json", "--ignore-scripts", "--pack-destination", str(workdir)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    tarballs = {entry["name"]: workdir / entry["filename"] for entry in json.loads(done.stdout)}
    for name, (version, expected, _) in PACKAGES.items():
        if integrity(tarballs[name]) != expected:
            sys.exit(f"error: {name}@{version}: tarball does not match the pinned sha512")
    # Start from an empty folder so files of an older pin never linger.
    shutil.rmtree(VENDOR, ignore_errors=True)
    for name, (version, _, members) in PACKAGES.items():
        tarball = tarballs[name]
        (VENDOR / name).mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarball) as archive:
            for member in members:
                source = archive.extractfile(f"package/{member}")
                if source is None:
                    sys.exit(f"error: {name}@{version} has no {member}")
                target(name, member).write_bytes(source.read())


def main(argv: list[str]) -> int:
    if "--force" not in argv and up_to_date():
        print(f"GraphiQL assets already in {VENDOR}")
        return 0
    npm = shutil.which("npm")
    if npm is None:
        print(
            "WARNING: npm not found, GraphiQL assets not fetched; /graphql in a browser will "
            "say so. Install Node.js/npm and run: python scripts/fetch_graphiql_assets.py",
            file=sys.stderr,
        )
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        try:
            fetch(npm, Path(tmp))
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            # No registry reachable must not break installation: warn like a missing npm.
            stderr = error.stderr or ""
            if isinstance(stderr, bytes):
                stderr = stderr.decode(errors="replace")
            print(
                f"WARNING: npm pack failed, GraphiQL assets not fetched:\n{stderr}", file=sys.stderr
            )
            return 0
    manifest = {
        "packages": {name: version for name, (version, _, _) in PACKAGES.items()},
        "files": [
            str(target(name, member).relative_to(VENDOR))
            for name, (_, _, members) in PACKAGES.items()
            for member in members
        ],
    }
    (VENDOR / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"GraphiQL assets written to {VENDOR}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
