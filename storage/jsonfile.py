"""The ``jsonfile`` dispatcher: user messages as JSON lines in a file.

One versioned payload (collector.versioned) per line. A batch is written,
flushed and fsync'ed under an exclusive lock before ``dump`` returns, so
several workers can share the file; it is rotated at max_bytes, keeping
backup_count old files (path.1 is the newest).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Sequence

from oslo_config import cfg

from collector import versioned
from collector.dispatcher import Dispatcher, Refusal
from collector.exceptions import DispatchError
from collector.model import UserMessage

OPTS = [
    cfg.StrOpt("path", default="/var/log/herald/messages.jsonl",
               help="File the jsonfile dispatcher appends user messages to, one JSON "
               "object per line (docs/dispatchers.md)."),
    cfg.IntOpt("max_bytes", default=100 * 1024 * 1024, min=1024,
               help="Rotate the file when it reaches this size."),
    cfg.IntOpt("backup_count", default=5, min=1,
               help="Rotated files kept (path.1 newest ... path.N oldest)."),
]


class JsonFileDispatcher(Dispatcher):
    name = "jsonfile"

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        super().__init__(conf)
        group = conf.dispatcher_jsonfile
        self.path, self.max_bytes, self.backups = group.path, group.max_bytes, group.backup_count
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)

    def dump(self, messages: Sequence[UserMessage]) -> Sequence[Refusal]:
        data = "".join(json.dumps(versioned.payload(m), sort_keys=True) + "\n"
                       for m in messages).encode("utf-8")
        try:
            self._append(data)
        except OSError as exc:
            raise DispatchError(f"cannot write {self.path}: {exc.strerror}") from exc
        return []

    def _append(self, data: bytes) -> None:
        while True:
            with open(self.path, "ab") as f:
                fcntl.flock(f, fcntl.LOCK_EX)
                # another worker may have rotated the file while we waited
                if os.fstat(f.fileno()).st_ino != _inode(self.path):
                    continue
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
                if f.tell() >= self.max_bytes:
                    self._rotate()
                return

    def _rotate(self) -> None:
        for n in range(self.backups - 1, 0, -1):
            if os.path.exists(f"{self.path}.{n}"):
                os.replace(f"{self.path}.{n}", f"{self.path}.{n + 1}")
        os.replace(self.path, f"{self.path}.1")


def _inode(path: str) -> int:
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return -1
