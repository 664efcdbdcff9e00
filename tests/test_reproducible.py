"""The same report built in two checkouts at different paths gives byte-identical delivered files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import SAMPLE
from tujie.build import PROJECT

COPIED = ["render.py", "requirements.txt", "tujie", "layouts", "fonts", "source"]


def checkout(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name in COPIED:
        src = PROJECT / name
        if src.is_dir():
            shutil.copytree(src, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, folder / name)
    return folder


def delivered(folder: Path) -> dict[str, bytes]:
    """Every delivered file of a report folder (hidden build records and staging left out)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)}


def test_two_checkout_folders_deliver_identical_files(tmp_path):
    outputs = []
    # different depths and names: nothing delivered may depend on where the project lives
    for root in (tmp_path / "a" / "tujie", tmp_path / "其他位置" / "deeper" / "copy"):
        project = checkout(root)
        run = subprocess.run([sys.executable, "render.py", f"source/{SAMPLE.name}", "--impose"], cwd=project,
                             capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        outputs.append(delivered(project / "output" / SAMPLE.stem))
    first, second = outputs
    assert "SHA256SUMS" in first and any(name.endswith("-print.pdf") for name in first)
    assert sorted(first) == sorted(second)
    differing = [name for name in first if first[name] != second[name]]
    assert differing == []
    # nothing delivered names the folder it was built in
    for root, files in zip(("a/tujie", "deeper/copy"), outputs):
        assert [name for name, data in files.items() if root.encode() in data] == []
    listed = {line.split("  ", 1)[1] for line in first["SHA256SUMS"].decode().splitlines()}
    assert listed == set(first) - {"SHA256SUMS"}
