"""The banner above the pages: what needs the user's attention now (missing models, a file
that could not be saved, personas that could not be read) and notices kept until the user says
they have read them (a repaired conversation file)."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel

from desktop.app import Hearth

DISMISS_NOTICES = "hearth:dismiss-notices"  # links in the banner, handled in _open_link
OPEN_SETUP = "hearth:setup"
SHOW_DETAILS = "hearth:details"
# Problems that one Setup fixes: the models a persona needs.
MODEL_PARTS = ("llm", "voice", "asr", "vad")


class Banner(QLabel):
    setup_requested = Signal()

    def __init__(self, hearth: Hearth) -> None:
        super().__init__("")
        self.hearth = hearth
        self.missing_models: list[str] = []  # file-level detail, shown on request
        self._details = False
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
        """The problems of a loaded persona (app.Problem): notices apart from the rest, and
        missing models said as one thing Setup does, their file names only under Details."""
        self.notices = [p.text for p in problems if p.part == "notice"]
        self.missing_models = [p.text for p in problems if p.part in MODEL_PARTS]
        self._details = False
        self.show_texts([p.text for p in problems
                         if p.part != "notice" and p.part not in MODEL_PARTS])

    def show_texts(self, texts: list[str]) -> None:
        texts = [*self.notices, *self.library_problems,
                 *([self.store_problem] if self.store_problem else []), *texts]
        self._texts = texts
        if not texts and not self.missing_models:
            self.setText("")
            self.hide()
            return
        shown = list(texts)
        links = []
        if self.missing_models:
            shown.insert(0, self.tr("Hearth needs its voice and thinking models before this "
                                    "persona can talk. Setup gets the ones that suit this "
                                    "computer, in one step."))
            links.append(self._link(OPEN_SETUP, self.tr("Set up…")))
            if self._details:
                shown += self.missing_models
            else:
                links.append(self._link(SHOW_DETAILS, self.tr("Details")))
        items = "".join(f"<li>{html.escape(t)}</li>" for t in shown)
        folder = QUrl.fromLocalFile(str(self.hearth.dirs.models)).toString()
        title = self.tr("Needs your attention")
        if not self.missing_models or self._details:
            links.append(self._link(folder, self.tr("Open the models folder")))
        if self.notices:
            links.insert(0, self._link(DISMISS_NOTICES, self.tr("I have read this")))
        self.setText(f"<b>{html.escape(title)}</b><ul>{items}</ul>" + " &nbsp; ".join(links))
        self.show()

    @staticmethod
    def _link(target: str, text: str) -> str:
        return f"<a href='{target}' style='color:#ffe08a'>{html.escape(text)}</a>"

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
        if link == OPEN_SETUP:
            self.setup_requested.emit()
            return
        if link == SHOW_DETAILS:
            self._details = True
            self.show_texts([t for t in self._texts if t not in self.notices
                             and t not in self.library_problems and t != self.store_problem])
            return
        QDesktopServices.openUrl(QUrl(link))
