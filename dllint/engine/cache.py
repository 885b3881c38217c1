"""Results cached by content hash, outside the user's tree (`check` never writes there).

Location: $DLLINT_CACHE_DIR, else $XDG_CACHE_HOME/dllint, else ~/.cache/dllint. The key covers the
file's bytes, its display path, the selected rules with their options, and dllint's version.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path


def default_directory() -> Path:
    if os.environ.get("DLLINT_CACHE_DIR"):
        return Path(os.environ["DLLINT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "dllint"


class Cache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.enabled = True

    def key(self, display: str, data: bytes, fingerprint: str) -> str:
        digest = hashlib.blake2b(digest_size=20)
        digest.update(fingerprint.encode())
        digest.update(display.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
        digest.update(data)
        return digest.hexdigest()

    def _file(self, key: str) -> Path:
        return self.directory / key[:2] / key[2:]

    def get(self, key: str):
        if not self.enabled:
            return None
        try:
            with open(self._file(key), "rb") as handle:
                return pickle.load(handle)
        except FileNotFoundError:
            return None
        except Exception:  # a corrupt or foreign entry is a miss, not an error
            return None

    def put(self, key: str, value) -> None:
        if not self.enabled:
            return
        target = self._file(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=target.parent)
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, target)
        except OSError:
            # A read-only or full disk only costs speed.
            self.enabled = False
