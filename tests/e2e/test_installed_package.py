"""The README's first command, as a newcomer runs it: ``pip install .`` (a built wheel, not the editable
install the tests use) and ``gkss serve`` from an empty directory serve the whole hub.

The wheel is built from the repository's tracked files only (what a clone holds) and installed into a
fresh virtualenv that sees this interpreter's site-packages for the dependencies (no network: the
network for tests is 127.0.0.1). The virtualenv's own copy of the packages comes first on its path,
so every page, template, vocabulary and script the hub serves must be in the wheel.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.support.hubs import free_port

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("harvesters", "normalizers", "registry", "hub", "federation")
NOT_SHIPPED = ("hub/widget/",)  # the widget's sources; the hub serves its built bundle from hub/web/static


def _tracked() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", *PACKAGES], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    return [name for name in listed.split("\0") if name and not name.startswith(NOT_SHIPPED)]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the tracked files are unknown")
    source = tmp_path_factory.mktemp("clone")
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in listed.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index", "--no-build-isolation",
         "--disable-pip-version-check", "-w", str(out), str(source)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (built,) = out.glob("gkss_hub-*.whl")
    return built


def test_the_wheel_holds_every_file_of_the_packages(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    missing = [name for name in _tracked() if name not in shipped]
    assert missing == [], f"tracked files of the packages not in the wheel: {missing}"
    assert any(name.endswith(".dist-info/entry_points.txt") for name in shipped)


def test_gkss_serve_from_the_installed_wheel(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", venv], check=True, timeout=120)
    python, gkss = venv / "bin" / "python", venv / "bin" / "gkss"
    if sys.prefix != sys.base_prefix:  # run from a virtualenv: its packages are the dependencies too
        packages = subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        lines = "".join(f"{path}\n" for path in site.getsitepackages())
        (Path(packages) / "_dependencies.pth").write_text(lines, encoding="utf-8")
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--disable-pip-version-check",
         wheel],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    empty = tmp_path / "newcomer"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GKSS_", "PYTHON"))}
    where = subprocess.run(
        [str(python), "-c", "import hub; print(hub.__file__)"],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(venv), f"hub imported from {where}, not from the installed wheel"

    port = free_port()
    server = subprocess.Popen(
        [str(gkss), "serve", "--port", str(port)], cwd=empty, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/healthz", timeout=2).raise_for_status()
                break
            except httpx.HTTPError:
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else "exited"
                assert time.monotonic() < deadline, "gkss serve did not answer within 60 s"
                time.sleep(0.3)
        assert (empty / ".gkss").is_dir(), "the embedded default lives under ./.gkss"
        widget = httpx.get(base + "/embed/gkss-search.js")
        assert widget.content == (ROOT / "hub/web/static/gkss-search.js").read_bytes()
        portal = httpx.get(base + "/")
        assert portal.status_code == 200 and "<gkss-search" in portal.text
        assert httpx.get(base + "/embed/pages.css").status_code == 200
        assert httpx.get(base + "/api/search", params={"q": "coral"}).json()["total"] == 0
        assert "<Identify>" in httpx.get(base + "/oai", params={"verb": "Identify"}).text
        assert httpx.get(base + "/feeds/atom").headers["content-type"].startswith("application/atom+xml")
        assert httpx.get(base + "/embed/regions/eastern-africa").json()["countries"], "vocabularies shipped"
        assert "openapi" in httpx.get(base + "/openapi.json").json()
        assert "gkss_index_documents 0" in httpx.get(base + "/metrics").text
    finally:
        server.terminate()
        server.wait(timeout=15)
