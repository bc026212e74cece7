"""The persona library's actions in the window: trusting a publisher, the user's country or
region, placing a persona's face points, the creator, and importing files (chosen, dropped
or handed over): checked on a worker, confirmed by the user, every failure said in words.
A mixin of MainWindow: these methods share its widgets and its Hearth."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QLabel, QMessageBox, QVBoxLayout

from desktop.errors import HearthError
from desktop.face.loading import load_portrait
from desktop.personas.cards import CardAlreadyInstalled
from desktop.ui.creator_view import CreatorDialog

log = logging.getLogger(__name__)
IMPORTABLE = (".persona", ".png", ".json", ".charx")


def thumbnail(portrait: Path) -> QIcon:
    """The persona's portrait as a list icon (Qt decodes it; a missing one is no icon)."""
    image = QPixmap(str(portrait))
    return QIcon(image.scaled(96, 96, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                              Qt.TransformationMode.SmoothTransformation)) if not image.isNull(
    ) else QIcon()


class LibraryActions:
    """Methods of MainWindow (which inherits them); see there for the attributes used."""

    def show_details(self) -> None:
        """Who the persona is, who owns its likeness, what its license allows, and what was
        left out of the card it came from; rename or remove it here."""
        persona = self.persona
        if persona is None:
            return
        from desktop.personas.cards import dropped_from_card

        license_ = persona.license
        lines = [
            self._tr("Id: {id}").format(id=persona.id),
            (self._tr("Verified: its likeness is licensed by {owner}") if persona.verified
             else self._tr("Unverified: {owner}")).format(owner=persona.owner),
            self._tr("Subject: {subject}").format(subject=license_.get("subject", "?")),
            self._tr("Allowed: {modes}").format(modes=", ".join(license_.get("modes", []))
                                                or self._tr("text")),
            self._tr("Valid until: {date}").format(
                date=str(license_["valid_until"])[:10] if license_.get("valid_until")
                else self._tr("no end date")),
        ]
        dropped = dropped_from_card(persona.folder)
        if dropped:
            lines.append(self._tr("Left out of its character card (Hearth writes its own "
                                  "instructions): {fields}").format(fields=", ".join(dropped)))
        box = QMessageBox(QMessageBox.Icon.Information, persona.name(self.language),
                          "\n".join(lines), QMessageBox.StandardButton.Close, self)
        box.setIconPixmap(thumbnail(persona.portrait_path).pixmap(96, 96))
        rename = remove = None
        if persona.folder is not None:
            if not persona.verified:
                rename = box.addButton(self._tr("Rename…"), QMessageBox.ButtonRole.ActionRole)
            remove = box.addButton(self._tr("Remove…"), QMessageBox.ButtonRole.DestructiveRole)
        self.details_box = (box, rename, remove)

        def chosen(button) -> None:
            if button is rename:
                self._rename(persona)
            elif button is remove:
                self._remove(persona)

        box.buttonClicked.connect(chosen)
        box.open()

    def _rename(self, persona) -> None:
        name, ok = QInputDialog.getText(self, self._tr("Rename"), self._tr("New name:"),
                                        text=persona.name(self.language))
        if not ok:
            return
        try:
            self.hearth.rename_persona(persona.id, name)
        except HearthError as error:
            self.show_problems_text([str(error)])
            return
        self.populate_library(select=persona.id)

    def _remove(self, persona) -> None:
        answer = QMessageBox.question(
            self, self._tr("Remove {name}?").format(name=persona.name(self.language)),
            self._tr("It leaves your library. Your conversations with it are kept: export or "
                     "forget them in Memory."))
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.remove_persona(persona.id)

    def remove_persona(self, persona_id: str) -> None:
        self._end_conversation()
        try:
            self.hearth.remove_persona(persona_id)
        except HearthError as error:
            self.show_problems_text([str(error)])
            return
        self.persona = None
        self.populate_library()

    def _tr(self, text: str) -> str:
        # Qt's tr() takes its context from the instance's class (MainWindow), while lupdate
        # files these strings under this class: translate in this class's context
        # (lupdate is told that _tr is tr: `make translations`).
        return QCoreApplication.translate("LibraryActions", text)

    # -- importing persona bundles ----------------------------------------------------------------
    def trust_publisher(self) -> None:
        warning = QMessageBox.warning(
            self, self._tr("Trust a publisher?"),
            self._tr("A trusted publisher can vouch that a persona of a real person has that "
                    "person's consent. Only add a publisher you know, with a key they gave you "
                    "directly."),
            QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Ok,
            QMessageBox.StandardButton.Cancel)
        if warning != QMessageBox.StandardButton.Ok:
            return
        name, ok = QInputDialog.getText(self, self._tr("Publisher"), self._tr("Name:"))
        if not ok or not name.strip():
            return
        key, ok = QInputDialog.getText(self, self._tr("Publisher"), self._tr("Public key:"))
        if not ok:
            return
        try:
            self.hearth.trust_publisher(name, key)
            self.last_import_text = self._tr("Hearth now trusts {name}.").format(name=name)
        except HearthError as error:
            self.last_import_text = str(error)
        QMessageBox(QMessageBox.Icon.Information, self._tr("Publisher"), self.last_import_text,
                    QMessageBox.StandardButton.Ok, self).open()

    def choose_region(self) -> None:
        """Some personas are licensed only in some countries; Hearth asks, it never looks it
        up online."""
        code, ok = QInputDialog.getText(
            self, self._tr("Country or region"),
            self._tr("Your country or region (two letters, for example GB, US, CN):"),
            text=self.hearth.region() or "")
        if not ok or not code.strip():
            return
        try:
            self.hearth.set_region(code)
        except HearthError as error:
            QMessageBox(QMessageBox.Icon.Warning, self._tr("Country or region"), str(error),
                        QMessageBox.StandardButton.Ok, self).open()
            return
        self.populate_library(self.persona.id if self.persona else None)

    def place_face(self) -> None:
        """The persona's portrait with the eyes and mouth to drag (the creator's editor)."""
        from PySide6.QtWidgets import QDialogButtonBox

        from desktop.ui.creator_view import PortraitEditor

        persona = self.persona
        if persona is None or persona.folder is None:
            self.show_problems_text([self._tr("Choose one of your installed personas first.")])
            return
        dialog = QDialog(self)
        dialog.setWindowTitle(self._tr("Place the face"))
        editor = PortraitEditor()
        editor.set_photo(load_portrait(persona))
        if persona.rig is not None:
            editor.points = {"left_eye": persona.rig.left_eye,
                             "right_eye": persona.rig.right_eye,
                             "mouth": persona.rig.mouth_center}
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        no_face = buttons.addButton(self._tr("There is no face"),
                                    QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(dialog)
        layout.addWidget(QLabel(self._tr("Drag the three points onto the eyes and the mouth.")))
        layout.addWidget(editor, 1)
        layout.addWidget(buttons)
        self.face_dialog, self.face_editor = dialog, editor
        chosen: dict = {}
        buttons.accepted.connect(lambda: (chosen.update(editor.points), dialog.accept()))
        buttons.rejected.connect(dialog.reject)
        no_face.clicked.connect(lambda: (chosen.update(none=True), dialog.accept()))

        def finished(result: int) -> None:
            if not result:
                return
            points = editor.points
            try:
                self.hearth.place_face(persona.id, points["left_eye"], points["right_eye"],
                                       None if chosen.get("none") else points["mouth"])
            except HearthError as error:
                self.show_problems_text([str(error)])
                return
            self.populate_library(select=persona.id)
            self.open_persona(self.hearth.library.get(persona.id))

        dialog.finished.connect(finished)
        dialog.resize(520, 560)
        dialog.open()

    def open_creator(self) -> None:
        self.creator_dialog = CreatorDialog(self.hearth, self)
        self.creator_dialog.created.connect(lambda persona_id: self.populate_library(
            select=persona_id))
        self.creator_dialog.show()

    def choose_bundle(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, self._tr("Import a persona"), "",
            self._tr("Personas and character cards (*.persona *.png *.json *.charx)"))
        if path:
            self.import_files([path])

    def import_files(self, paths: list[str]) -> None:
        def work() -> None:
            for path in paths:
                try:
                    if path.endswith(".persona"):
                        # Checked first, installed only after the user has seen what it is.
                        checked = self.hearth.inspect_bundle(Path(path))
                        self.bridge.call(self._confirm_import, path, checked)
                    else:  # a character card (or a revocation list)
                        done = self.hearth.import_file(Path(path))
                        self.bridge.call(self._imported, done, None)
                except CardAlreadyInstalled as error:
                    self.bridge.call(self._card_conflict, path, error)
                except Exception as error:  # every failure is shown; the next file still goes
                    self.bridge.call(self._imported, None, error)

        # One worker for all the files: imports into the library happen one at a time.
        self.bridge.background(work, lambda _: None, lambda error: self._imported(None, error),
                               "import")

    def _confirm_import(self, path: str, checked) -> None:
        license_ = checked.manifest["license"]
        verification = checked.verification
        who = (self._tr("verified by {publisher}").format(publisher=verification.publisher)
               if verification.verified else self._tr("unverified"))
        update = (self._tr(" It replaces version {old}; your memories are kept.").format(
            old=checked.replaced_version) if checked.replaced_version is not None else "")
        text = self._tr(
            "{name} ({who}). Likeness owned by {owner}; subject: {subject}; allowed: {modes}; "
            "valid until: {until}.").format(
            name=checked.name(), who=who, owner=license_.get("licensor", "?"),
            subject=license_.get("subject", "?"), modes=", ".join(license_.get("modes", [])),
            until=license_.get("valid_until", self._tr("no end date"))) + update
        box = QMessageBox(QMessageBox.Icon.Question, self._tr("Install this persona?"), text,
                          QMessageBox.StandardButton.Cancel, self)
        install = box.addButton(self._tr("Install"), QMessageBox.ButtonRole.AcceptRole)
        self.pending_import = (box, install)

        def chosen(button) -> None:
            self.pending_import = None
            if button is not install:
                return

            self.bridge.background(lambda: self.hearth.import_bundle(Path(path)),
                                   lambda done: self._imported(done, None),
                                   lambda error: self._imported(None, error), "import")

        box.buttonClicked.connect(chosen)
        box.open()  # not modal: the window keeps working

    def _card_conflict(self, path: str, error: CardAlreadyInstalled) -> None:
        """The same character is installed: replace it (memories stay), keep both, or not."""
        box = QMessageBox(QMessageBox.Icon.Question, self._tr("Already installed"),
                          self._tr("{name} is already installed. Replace it with this card "
                                   "(your conversations with it stay), or keep both?")
                          .format(name=error.name), QMessageBox.StandardButton.Cancel, self)
        replace = box.addButton(self._tr("Replace"), QMessageBox.ButtonRole.AcceptRole)
        both = box.addButton(self._tr("Keep both"), QMessageBox.ButtonRole.AcceptRole)
        self.pending_import = (box, replace, both)

        def chosen(button) -> None:
            self.pending_import = None
            choice = {replace: "replace", both: "keep-both"}.get(button)
            if choice is None:
                return
            self.bridge.background(lambda: self.hearth.import_file(Path(path), choice),
                                   lambda done: self._imported(done, None),
                                   lambda failure: self._imported(None, failure), "import")

        box.buttonClicked.connect(chosen)
        box.open()

    def _imported(self, done, error) -> None:
        if error is not None:
            if isinstance(error, HearthError):
                self.last_import_text = str(error)
            else:  # a fault in Hearth itself: said in words, the details go to the log
                log.error("Import failed unexpectedly", exc_info=error)
                self.last_import_text = self._tr(
                    "Hearth could not import this file: something went wrong inside Hearth, "
                    "not in the file you chose. Your library is unchanged. Please report it, "
                    "with Hearth's log.")
            box = QMessageBox(QMessageBox.Icon.Warning, self._tr("Not imported"),
                              self.last_import_text, QMessageBox.StandardButton.Ok, self)
            box.open()  # not modal: the window keeps working
            return
        if isinstance(done, str):  # a character card, or a revocation list
            self.last_import_text = (self._tr("The revocation list is installed.")
                                     if done.startswith("revocations:") else self._tr(
                "{name} is installed from a character card (unverified, fictional).").format(
                name=self.hearth.library.get(done).name(self.language)))
            QMessageBox(QMessageBox.Icon.Information, self._tr("Imported"),
                        self.last_import_text, QMessageBox.StandardButton.Ok, self).open()
            self.populate_library(select=None if done.startswith("revocations:") else done)
            return
        persona = self.hearth.library.get(done.persona_id)
        license_ = persona.license
        who = (self._tr("verified by {publisher}").format(publisher=done.verification.publisher)
               if done.verification.verified else self._tr("unverified"))
        self.last_import_text = self._tr(
            "{name} is installed ({who}). Likeness owned by {owner}; subject: {subject}; "
            "allowed: {modes}; valid until: {until}.").format(
            name=persona.name(self.language), who=who, owner=persona.owner,
            subject=license_.get("subject", "?"), modes=", ".join(license_.get("modes", [])),
            until=license_.get("valid_until", self._tr("no end date")))
        box = QMessageBox(QMessageBox.Icon.Information, self._tr("Persona imported"),
                          self.last_import_text, QMessageBox.StandardButton.Ok, self)
        box.open()  # not modal: the window keeps working
        self.populate_library(select=done.persona_id)

    def dragEnterEvent(self, event) -> None:
        if any(url.toLocalFile().endswith(IMPORTABLE) for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [url.toLocalFile() for url in event.mimeData().urls()
                 if url.toLocalFile().endswith(IMPORTABLE)]
        if paths:
            event.acceptProposedAction()
            self.import_files(paths)
