"""One Hearth window per user and data folder. A second launch (a double-click on a .persona
file while Hearth runs) hands its files to the running window, which shows its import preview
and comes to the front, instead of failing on the data folder's lock."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

HANDOVER_TIMEOUT_MS = 1500


def server_name(data_root: Path) -> str:
    """A name per data folder (two data folders may each have their window)."""
    digest = hashlib.sha256(str(data_root.resolve()).encode()).hexdigest()[:16]
    return f"hearth-{digest}"


def hand_over(name: str, files: list[str]) -> bool:
    """Give ``files`` (maybe none: just come to the front) to the running window; False if
    there is none."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(HANDOVER_TIMEOUT_MS):
        return False
    socket.write(json.dumps([str(Path(f).resolve()) for f in files]).encode() + b"\n")
    socket.flush()
    socket.waitForBytesWritten(HANDOVER_TIMEOUT_MS)
    socket.disconnectFromServer()
    return True


class FileOpenEvents(QObject):
    """macOS hands a double-clicked file to the running app as a FileOpen event, not as an
    argument: the same ``files_received`` as a second launch."""

    files_received = Signal(list)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FileOpen:
            self.files_received.emit([event.file()])
            return True
        return False


class InstanceServer(QObject):
    """Listens for later launches; ``files_received`` carries what each one handed over."""

    files_received = Signal(list)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._server = QLocalServer(self)
        self._server.newConnection.connect(self._accept)
        if not self._server.listen(name):
            # A name left behind by a Hearth that crashed: nobody answers it, so take it.
            QLocalServer.removeServer(name)
            self._server.listen(name)

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            socket.readyRead.connect(lambda s=socket: self._read(s))

    def _read(self, socket: QLocalSocket) -> None:
        if not socket.canReadLine():
            return
        try:
            files = json.loads(bytes(socket.readLine()).decode("utf-8"))
        except ValueError:
            files = []
        socket.disconnectFromServer()
        self.files_received.emit([str(f) for f in files if isinstance(f, str)][:32])
