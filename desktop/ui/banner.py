"""The banner above the pages: what needs the user's attention now (missing models, a file
that could not be saved, personas that could not be read) and notices kept until the user says
they have read them (a repaired conversation file)."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel

from desktop.app import Hearth

DISMISS_NOTICES = "hearth:dismiss-notices"  # a link in the banner, handled in _open_link


class Banner(QLabel):
    def __init__(self, hearth: Hearth) -> None:
        super().__init__("")
        self.hearth = hearth
        self.notices: list[str] = []  # kept (on disk too) until the user dismisses them
        self.library_problems: list[str] = []  # installed personas that could not be read
        self.store_problem: str | None = None  # saving is stuck (a full disk)
        self._texts: list[str] = []
        self.setObjectName("banner")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.linkActivated.connect(self._open_link)
        self.hide()

    def show_problems(self, problems: list) -> None:
        """The problems of a loaded persona (app.Problem): notices apart from the rest."""
        self.notices = [p.text for p in problems if p.part == "notice"]
        self.show_texts([p.text for p in problems if p.part != "notice"])

    def show_texts(self, texts: list[str]) -> None:
        texts = [*self.notices, *self.library_problems,
                 *([self.store_problem] if self.store_problem else []), *texts]
        self._texts = texts
        if not texts:
            self.setText("")
            self.hide()
            return
        items = "".join(f"<li>{html.escape(t)}</li>" for t in texts)
        folder = QUrl.fromLocalFile(str(self.hearth.dirs.models)).toString()
        title = self.tr("Needs your attention")
        open_text = self.tr("Open the models folder")
        links = [f"<a href='{folder}' style='color:#ffe08a'>{html.escape(open_text)}</a>"]
        if self.notices:
            read = self.tr("I have read this")
            links.insert(0, f"<a href='{DISMISS_NOTICES}' style='color:#ffe08a'>"
                            f"{html.escape(read)}</a>")
        self.setText(f"<b>{html.escape(title)}</b><ul>{items}</ul>" + " &nbsp; ".join(links))
        self.show()

    def dismiss_notices(self) -> None:
        self.hearth.dismiss_store_notices()
        others = [t for t in self._texts if t not in self.notices
                  and t not in self.library_problems and t != self.store_problem]
        self.notices = []
        self.show_texts(others)

    def _open_link(self, link: str) -> None:
        if link == DISMISS_NOTICES:
            self.dismiss_notices()
            return
        QDesktopServices.openUrl(QUrl(link))
