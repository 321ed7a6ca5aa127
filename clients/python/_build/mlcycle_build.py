"""A PEP 517 / PEP 660 build backend for mlcycle-client, standard library only.

Why not setuptools: building a wheel with the setuptools a fresh venv has (65.x) needs the
`wheel` package, which is not there offline, so `pip install ./clients/python` would fail without
an index. This package is pure Python with no dependencies: a wheel is a zip of `src/` plus three
metadata files, which is all this backend writes. Metadata comes from pyproject.toml's [project].
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "mlcycle_client"
# Fixed timestamps: the same sources give the same wheel, byte for byte.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _project() -> dict:
    """The string keys of [project] (name, version, description, requires-python, readme).
    A small reader rather than tomllib, which Python < 3.11 lacks."""
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as f:
        text = f.read()
    section = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    if not section:
        raise RuntimeError("pyproject.toml has no [project] table")
    return dict(re.findall(r'^([A-Za-z-]+)\s*=\s*"([^"]*)"\s*$', section.group(1), re.M))


def _dist(project: dict) -> str:
    return re.sub(r"[-_.]+", "_", project["name"]).lower() + "-" + project["version"]


def _metadata(project: dict) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
        f"Summary: {project.get('description', '')}",
        f"Requires-Python: {project.get('requires-python', '>=3.9')}",
    ]
    readme = project.get("readme")
    body = ""
    if readme:
        with open(os.path.join(ROOT, readme), encoding="utf-8") as f:
            body = f.read()
        lines.append("Description-Content-Type: text/markdown")
    return "\n".join(lines) + "\n\n" + body


WHEEL = "Wheel-Version: 1.0\nGenerator: mlcycle_build\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _sources() -> list[tuple[str, bytes]]:
    out = []
    base = os.path.join(ROOT, "src")
    for directory, dirs, files in os.walk(os.path.join(base, PACKAGE)):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".typed")):
                full = os.path.join(directory, name)
                with open(full, "rb") as f:
                    out.append((os.path.relpath(full, base).replace(os.sep, "/"), f.read()))
    return out


def _write_wheel(wheel_directory: str, files: list[tuple[str, bytes]]) -> str:
    project = _project()
    dist = _dist(project)
    info = f"{dist}.dist-info"
    files = files + [(f"{info}/METADATA", _metadata(project).encode()), (f"{info}/WHEEL", WHEEL.encode())]
    record = []
    for path, data in files:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files.append((f"{info}/RECORD", ("\n".join(record) + "\n").encode()))
    name = f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w", zipfile.ZIP_DEFLATED) as wheel:
        for path, data in files:
            entry = zipfile.ZipInfo(path, ZIP_TIME)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(entry, data)
    return name


# ---- PEP 517


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    project = _project()
    info = f"{_dist(project)}.dist-info"
    os.makedirs(os.path.join(metadata_directory, info), exist_ok=True)
    with open(os.path.join(metadata_directory, info, "METADATA"), "w", encoding="utf-8") as f:
        f.write(_metadata(project))
    with open(os.path.join(metadata_directory, info, "WHEEL"), "w", encoding="utf-8") as f:
        f.write(WHEEL)
    return info


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(wheel_directory, _sources())


def build_sdist(sdist_directory, config_settings=None):
    dist = _dist(_project())
    name = f"{dist}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as sdist:
        info = _metadata(_project()).encode()
        entry = tarfile.TarInfo(f"{dist}/PKG-INFO")
        entry.size = len(info)
        entry.mode = 0o644
        sdist.addfile(entry, io.BytesIO(info))
        for rel in ["pyproject.toml", "README.md", "_build/mlcycle_build.py"] + ["src/" + p for p, _ in _sources()]:
            with open(os.path.join(ROOT, rel), "rb") as f:
                data = f.read()
            entry = tarfile.TarInfo(f"{dist}/{rel}")
            entry.size = len(data)
            entry.mode = 0o644
            sdist.addfile(entry, io.BytesIO(data))
    return name


# ---- PEP 660 (pip install -e): a .pth file that puts src/ on sys.path


def get_requires_for_build_editable(config_settings=None):
    return []


def prepare_metadata_for_build_editable(metadata_directory, config_settings=None):
    return prepare_metadata_for_build_wheel(metadata_directory, config_settings)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(wheel_directory, [(f"__editable__.{PACKAGE}.pth", (os.path.join(ROOT, "src") + "\n").encode())])
