"""SHA-256 digests of input files, remembered by (path, size, mtime).

In: file paths (fonts, layouts, code, pictures beside a report) and the cache folder.
Out: each file's SHA-256, read from disk only when the file's size or
modification time differs from the last time it was hashed.

The bundled fonts are about 10 MB each; the no-op check, the parts' salt and
the page-image cache all hash them, so a build used to read 120 MB just to
learn that nothing changed. Trusting (size, mtime_ns) is what make does; a
file rewritten with the same size within the same nanosecond would be missed,
which an editor or `make fonts` never does. The digests are kept in memory
for a resident process (tujie/warm.py) and in ``<cache>/digests.json`` for the
next command-line run.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

STORE_NAME = "digests.json"


class DigestStore:
    """Digests of files, remembered in memory and (if ``store`` is given) in a JSON file there."""

    def __init__(self, store: Path | None = None):
        self.store = store
        self._known: dict[str, list] = {}  # path → [size, mtime_ns, hex digest]
        self._dirty = False
        if store is not None:
            try:
                self._known = json.loads(store.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self._known = {}

    def of(self, path: Path) -> bytes:
        """The SHA-256 of ``path``'s contents (raises OSError if it cannot be read)."""
        stat = path.stat()
        # absolute, not resolved: resolving walks every component with a system call (~0.1 ms a
        # file, a quarter of a warm revision's no-op check); two spellings of one file only cost
        # two entries
        name = os.path.abspath(path)
        entry = self._known.get(name)
        if entry and entry[0] == stat.st_size and entry[1] == stat.st_mtime_ns:
            return bytes.fromhex(entry[2])
        digest = hashlib.sha256(path.read_bytes()).digest()
        self._known[name] = [stat.st_size, stat.st_mtime_ns, digest.hex()]
        self._dirty = True
        return digest

    def save(self) -> None:
        """Write the digests learnt since loading; a store that cannot be written only costs time."""
        if self.store is None or not self._dirty:
            return
        try:
            self.store.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.store.with_name(f".{self.store.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self._known, sort_keys=True), encoding="utf-8")
            os.replace(tmp, self.store)
            self._dirty = False
        except OSError:
            pass


@functools.lru_cache(maxsize=8)
def store_for(cache_dir: Path | None) -> DigestStore:
    """The digest store of one cache folder, shared by every build in this process."""
    return DigestStore(cache_dir / STORE_NAME if cache_dir is not None else None)


def hash_files(digest, files, cache_dir: Path | None = None) -> None:
    """Feed the names and contents (as their digests) of ``files``, sorted, into ``digest``."""
    store = store_for(cache_dir)
    for path in sorted(files):
        digest.update(str(path.name).encode())
        digest.update(store.of(path))
