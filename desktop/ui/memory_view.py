"""A persona's memory, for the user to see and control: every remembered fact and every past
call, searchable; edit, pin, add or delete a memory; export everything; forget everything.

The Qt thread never touches SQLite: reads run on a worker thread and come back through the
bridge, writes are store intents whose futures post a reload when their commit returned.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.app import Hearth
from desktop.memory.export import export_json
from desktop.memory.facts import Fact
from desktop.memory.records import Call
from desktop.personas.library import Persona
from desktop.ui.bridge import EngineBridge


def describe_call(call: Call) -> str:
    seconds = call.duration_s()
    length = "" if seconds is None else f" · {max(1, round(seconds / 60))} min"
    return f"{call.started_at[:16].replace('T', ' ')}{length}"


class MemoryDialog(QDialog):
    forgotten = Signal(str)  # persona id: the open conversation must start afresh

    def __init__(self, hearth: Hearth, persona: Persona, language: str = "en",
                 parent: QWidget | None = None,
                 before_forget: Callable[[], None] = lambda: None) -> None:
        # Long: the dialog's widgets and their layout, in the order they appear on it
        super().__init__(parent)
        self.before_forget = before_forget  # ends the open conversation: it uses the model
        self.hearth = hearth
        self.persona = persona
        self.store = hearth.store
        self.bridge = EngineBridge(self)
        self.facts: list[Fact] = []
        self.calls: list[Call] = []
        self.setWindowTitle(self.tr("What {name} remembers").format(
            name=persona.name(language)))
        self.resize(820, 560)

        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search memories and calls…"))
        self.history_box = QCheckBox(self.tr("Show replaced memories"))
        self.status = QLabel("")
        self.status.setObjectName("meter")
        self.fact_list = QListWidget()
        self.fact_list.setWordWrap(True)
        self.add_button = QPushButton(self.tr("Add…"))
        self.edit_button = QPushButton(self.tr("Edit…"))
        self.pin_button = QPushButton(self.tr("Pin"))
        self.delete_button = QPushButton(self.tr("Delete"))
        fact_buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.pin_button, self.delete_button):
            fact_buttons.addWidget(button)
        fact_buttons.addStretch(1)
        facts_page = QWidget()
        facts_layout = QVBoxLayout(facts_page)
        facts_layout.addWidget(self.fact_list, 1)
        facts_layout.addLayout(fact_buttons)

        self.call_list = QListWidget()
        self.call_list.setWordWrap(True)
        self.call_text = QTextBrowser()
        calls_page = QSplitter()
        calls_page.addWidget(self.call_list)
        calls_page.addWidget(self.call_text)
        calls_page.setSizes([320, 480])

        self.tabs = QTabWidget()
        self.tabs.addTab(facts_page, self.tr("Memories"))
        self.tabs.addTab(calls_page, self.tr("Past calls"))
        self.export_button = QPushButton(self.tr("Export…"))
        self.forget_button = QPushButton(self.tr("Forget everything…"))
        self.forget_button.setObjectName("stop")
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.export_button)
        bottom.addWidget(self.forget_button)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.history_box)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(200)
        self._search_timer.timeout.connect(self.reload)
        self.search.textEdited.connect(lambda _text: self._search_timer.start())
        self.history_box.toggled.connect(lambda _on: self.reload())
        self.fact_list.currentRowChanged.connect(lambda _row: self._update_buttons())
        self.call_list.currentRowChanged.connect(self._show_call)
        self.add_button.clicked.connect(self.add_fact)
        self.edit_button.clicked.connect(self.edit_fact)
        self.pin_button.clicked.connect(self.toggle_pin)
        self.delete_button.clicked.connect(self.delete_fact)
        self.export_button.clicked.connect(self.export)
        self.forget_button.clicked.connect(self.forget)
        self._update_buttons()
        self.reload()

    # -- background work -----------------------------------------------------------------
    def _background(self, work: Callable[[], object], done: Callable[[object], None]) -> None:
        self.bridge.background(work, done, self._failed, "memory-view")

    def _failed(self, error: Exception) -> None:
        self.status.setText(self.tr("Could not do that: {error}").format(error=error))

    def _after_commit(self, future, message: str) -> None:
        """Reload once the store has committed; only then is the change shown as saved."""
        def finished(f) -> None:
            if f.exception() is not None:
                self.bridge.call(self._failed, f.exception())
            else:
                self.bridge.call(self._committed, message)

        future.add_done_callback(finished)

    def _committed(self, message: str) -> None:
        self.status.setText(message)
        self.reload()

    # -- loading --------------------------------------------------------------------------
    def reload(self) -> None:
        query = self.search.text()
        history = self.history_box.isChecked()
        persona_id = self.persona.id

        def load() -> tuple[list[Fact], list[Call]]:
            return (self.store.facts(persona_id, search=query, include_history=history),
                    self.store.calls(persona_id, search=query.strip()))

        self._background(load, self._show)

    def _show(self, loaded: tuple[list[Fact], list[Call]]) -> None:
        selected = self.selected_fact()
        self.facts, self.calls = loaded
        self.fact_list.clear()
        for fact in self.facts:
            marks = "★ " if fact.pinned else ""
            state = self.tr(" (replaced)") if fact.superseded_by else ""
            origin = self.tr("you wrote it") if fact.source == "user" else self.tr(
                "from a conversation")
            importance = self.tr("importance {value}/10").format(value=fact.importance)
            item = QListWidgetItem(f"{marks}{fact.text}{state}\n{importance} · {origin} · "
                                   f"{fact.updated_at[:10]}")
            item.setData(Qt.ItemDataRole.UserRole, fact.id)
            if fact.superseded_by:
                item.setForeground(Qt.GlobalColor.gray)
            self.fact_list.addItem(item)
            if selected is not None and fact.id == selected.id:
                self.fact_list.setCurrentItem(item)
        self.call_list.clear()
        for call in self.calls:
            summary = call.summary or self.tr("(no summary yet)")
            item = QListWidgetItem(f"{describe_call(call)}\n{summary}")
            self.call_list.addItem(item)
        self.tabs.setTabText(0, self.tr("Memories ({count})").format(count=len(self.facts)))
        self.tabs.setTabText(1, self.tr("Past calls ({count})").format(count=len(self.calls)))
        self._update_buttons()

    def _show_call(self, row: int) -> None:
        if not 0 <= row < len(self.calls):
            self.call_text.clear()
            return
        call = self.calls[row]

        def render(turns: list) -> None:
            name = self.persona.name()
            parts = [f"<p><i>{html.escape(call.summary or '')}</i></p>"]
            for turn in turns:
                who = self.tr("You") if turn.role == "user" else name
                parts.append(f"<p><b>{html.escape(who)}</b><br>{html.escape(turn.text)}</p>")
            self.call_text.setHtml("".join(parts))

        self._background(lambda: self.store.call_turns(call), render)

    # -- actions ----------------------------------------------------------------------------
    def selected_fact(self) -> Fact | None:
        item = self.fact_list.currentItem()
        if item is None:
            return None
        fact_id = item.data(Qt.ItemDataRole.UserRole)
        return next((f for f in self.facts if f.id == fact_id), None)

    def _update_buttons(self) -> None:
        fact = self.selected_fact()
        for button in (self.edit_button, self.pin_button, self.delete_button):
            button.setEnabled(fact is not None)
        self.pin_button.setText(self.tr("Unpin") if fact and fact.pinned else self.tr("Pin"))

    def add_fact(self) -> None:
        text, ok = QInputDialog.getText(self, self.tr("Add a memory"),
                                        self.tr("What should {name} remember about you?")
                                        .format(name=self.persona.name()))
        if ok and text.strip():
            self._after_commit(self.store.add_fact(self.persona.id, text.strip()),
                               self.tr("Saved."))

    def edit_fact(self) -> None:
        fact = self.selected_fact()
        if fact is None:
            return
        text, ok = QInputDialog.getText(self, self.tr("Edit memory"), self.tr("Memory:"),
                                        text=fact.text)
        if ok and text.strip():
            self._after_commit(self.store.edit_fact(fact.id, text=text.strip()),
                               self.tr("Saved."))

    def toggle_pin(self) -> None:
        fact = self.selected_fact()
        if fact is not None:
            self._after_commit(self.store.edit_fact(fact.id, pinned=not fact.pinned),
                               self.tr("Saved."))

    def delete_fact(self) -> None:
        fact = self.selected_fact()
        if fact is not None:
            self._after_commit(self.store.delete_fact(fact.id), self.tr("Deleted."))

    def export(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, self.tr("Export memories"), f"{self.persona.id}-memories.json", "JSON (*.json)")
        if not path:
            return

        def write() -> str:
            data = self.hearth.export_memory(self.persona.id)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(export_json(data) + "\n")
            return path

        self._background(write, lambda p: self.status.setText(
            self.tr("Exported to {path}").format(path=p)))

    def forget(self) -> None:
        name = self.persona.name()
        text = self.tr("Delete every memory, call and message of your conversations with {name}? "
                       "Nothing of it will remain on this computer. This cannot be undone."
                       ).format(name=name)
        copies = len(self.hearth.store.kept_copies())
        if copies:
            text += " " + self.tr("Hearth also cleans the {count} older copies of the "
                                  "conversation file kept after a repair or a restore; a "
                                  "damaged one is deleted.").format(count=copies)
        answer = QMessageBox.warning(
            self, self.tr("Forget everything?"), text,
            QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Yes,
            QMessageBox.StandardButton.Cancel)
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.forget_button.setEnabled(False)
        self.before_forget()
        self._background(lambda: self.hearth.forget(self.persona.id), self._forgotten)

    def _forgotten(self, report) -> None:
        self.forget_button.setEnabled(True)
        self.status.setText(self.tr("Forgotten: {facts} memories, {turns} messages, {calls} "
                                    "calls.").format(facts=report.facts, turns=report.turns,
                                                     calls=report.calls))
        self.forgotten.emit(self.persona.id)
        self.reload()

