"""One Settings screen: how the persona addresses you, its voice and speaking rate, how long
replies run, the microphone and speaker, a server on your network instead of the local model,
your country or region, the window's language, theme and text size, and where your data lives.
Saved to the data folder's settings.json and applied at once (MainWindow.apply_settings)."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.app import Hearth
from desktop.errors import HearthError
from desktop.personas.library import Persona
from desktop.settings import MAX_RATE, MIN_RATE, REPLY_TOKENS, Settings
from desktop.ui.memory_view import MemoryDialog
from desktop.ui.pages import style_sheet
from desktop.ui.setup_view import SetupDialog

LANGUAGES = (("", "System language"), ("en", "English"), ("zh", "中文"))


class SettingsDialog(QDialog):
    saved = Signal(object, object)  # (the new Settings, the old ones)

    def __init__(self, hearth: Hearth, persona: Persona | None, parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        # Long: the form's fields and their layout, in the order they appear on it
        self.hearth = hearth
        self.persona = persona
        self.settings = Settings.load(hearth.dirs.root)
        self.setWindowTitle(self.tr("Settings"))
        form = QFormLayout()
        self.user_name = QLineEdit(self.settings.user_name)
        self.user_name.setPlaceholderText(self.tr("How the persona should call you"))
        form.addRow(self.tr("Your name"), self.user_name)
        self.reply_length = QComboBox()
        for key, label in (("short", self.tr("Short")), ("normal", self.tr("Normal")),
                           ("long", self.tr("Long"))):
            self.reply_length.addItem(label, key)
        self.reply_length.setCurrentIndex(list(REPLY_TOKENS).index(
            self.settings.reply_length if self.settings.reply_length in REPLY_TOKENS
            else "normal"))
        form.addRow(self.tr("Replies"), self.reply_length)
        self.voice = QComboBox()
        self.rate = QDoubleSpinBox()
        self.rate.setRange(MIN_RATE, MAX_RATE)
        self.rate.setSingleStep(0.05)
        self.rate.setDecimals(2)
        if persona is not None:
            self.voice.addItem(self.tr("Its own voice"), "")
            for name in hearth.inventory.voices():
                self.voice.addItem(name, name)
            chosen = self.settings.voices.get(persona.id, "")
            self.voice.setCurrentIndex(max(0, self.voice.findData(chosen)))
            self.rate.setValue(self.settings.speaking_rate(persona.id))
            name = persona.name(getattr(parent, "language", "en"))
            form.addRow(self.tr("Voice of {name}").format(name=name), self.voice)
            form.addRow(self.tr("How fast {name} speaks").format(name=name), self.rate)
        self.microphone, self.speaker = QComboBox(), QComboBox()
        self._fill_devices()
        form.addRow(self.tr("Microphone"), self.microphone)
        form.addRow(self.tr("Speaker"), self.speaker)
        self.remote = QLineEdit(self.settings.remote_url or "")
        self.remote.setPlaceholderText(self.tr("Empty: the model on this computer"))
        form.addRow(self.tr("Server on your network"), self.remote)
        self.region = QLineEdit(self.settings.region or "")
        self.region.setPlaceholderText(self.tr("Two letters, e.g. GB; empty: from the system"))
        self.region.setMaxLength(2)
        form.addRow(self.tr("Country or region"), self.region)
        self.language = QComboBox()
        for code, label in LANGUAGES:
            self.language.addItem(self.tr(label) if not code else label, code)
        self.language.setCurrentIndex(max(0, self.language.findData(self.settings.language or "")))
        form.addRow(self.tr("Language"), self.language)
        self.theme = QComboBox()
        self.theme.addItem(self.tr("Dark"), "dark")
        self.theme.addItem(self.tr("Light"), "light")
        self.theme.setCurrentIndex(max(0, self.theme.findData(self.settings.theme)))
        form.addRow(self.tr("Theme"), self.theme)
        self.text_size = QSpinBox()
        self.text_size.setRange(11, 24)
        self.text_size.setValue(self.settings.text_size)
        form.addRow(self.tr("Text size"), self.text_size)
        folder = QHBoxLayout()
        folder.addWidget(QLabel(str(hearth.dirs.root)), 1)
        open_folder = QPushButton(self.tr("Open"))
        open_folder.clicked.connect(lambda: QDesktopServices.openUrl(
            QUrl.fromLocalFile(str(hearth.dirs.root))))
        folder.addWidget(open_folder)
        form.addRow(self.tr("Your data"), folder)
        self.problem = QLabel("")
        self.problem.setObjectName("meter")
        self.problem.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)

    def _fill_devices(self) -> None:
        from desktop.voice.audio_out import AudioUnavailable, load_sounddevice

        for box, default in ((self.microphone, self.tr("System default microphone")),
                             (self.speaker, self.tr("System default speaker"))):
            box.addItem(default, None)
        try:
            devices = load_sounddevice().query_devices()
        except (AudioUnavailable, OSError):
            devices = []
        for device in devices:
            name = str(device["name"])
            if device["max_input_channels"] > 0:
                self.microphone.addItem(name, name)
            if device["max_output_channels"] > 0:
                self.speaker.addItem(name, name)
        for box, chosen in ((self.microphone, self.settings.microphone),
                            (self.speaker, self.settings.speaker)):
            box.setCurrentIndex(max(0, box.findData(chosen)) if chosen else 0)

    def chosen(self) -> Settings:
        """The settings as the form shows them (checked by save())."""
        voices, rates = dict(self.settings.voices), dict(self.settings.speaking_rates)
        if self.persona is not None:
            voice = self.voice.currentData()
            if voice:
                voices[self.persona.id] = voice
            else:
                voices.pop(self.persona.id, None)
            rates[self.persona.id] = round(self.rate.value(), 2)
        return replace(
            self.settings, user_name=self.user_name.text().strip()[:60],
            reply_length=self.reply_length.currentData(), voices=voices,
            speaking_rates=rates, microphone=self.microphone.currentData(),
            speaker=self.speaker.currentData(),
            remote_url=self.remote.text().strip() or None,
            region=self.region.text().strip().upper() or None,
            language=self.language.currentData() or None, theme=self.theme.currentData(),
            text_size=self.text_size.value())

    def save(self) -> None:
        from desktop.brain.remote import check_server_url

        new = self.chosen()
        try:
            if new.remote_url:
                new = replace(new, remote_url=check_server_url(new.remote_url))
            if new.region and not (len(new.region) == 2 and new.region.isalpha()):
                raise HearthError(f"{new.region!r} is not a country or region code.",
                                  "Give two letters, for example GB, US or CN.")
        except HearthError as error:
            self.problem.setText(str(error))
            return
        new.save(self.hearth.dirs.root)
        old, self.settings = self.settings, new
        self.saved.emit(new, old)
        self.accept()


class SettingsActions:
    """MainWindow's part in its screens (it inherits these): Settings, and what was saved
    there applied; Memory; Setup."""
    def open_settings(self) -> None:
        self.settings_dialog = SettingsDialog(self.hearth, self.persona, self)
        self.settings_dialog.saved.connect(self.apply_settings)
        self.settings_dialog.open()

    def apply_settings(self, new: Settings, old: Settings) -> None:
        """Settings take effect at once: the look now, the reply length on the next reply,
        devices now, and what the persona is built from (name, voice, rate, server) by
        reopening it, between calls."""
        self.setStyleSheet(style_sheet(new.theme, new.text_size))
        self.hearth.input_device, self.hearth.output_device = new.microphone, new.speaker
        conversation = self.conversation
        if conversation is not None:
            conversation.sampling = replace(conversation.sampling,
                                            max_tokens=new.max_tokens())
            if new.speaker != old.speaker:
                try:
                    self.hearth.use_speaker(conversation, new.speaker)
                except HearthError as error:
                    self.show_problems_text([str(error)])
        rebuilt = (new.user_name, new.voices, new.speaking_rates, new.remote_url,
                   new.remote_model)
        if rebuilt != (old.user_name, old.voices, old.speaking_rates, old.remote_url,
                       old.remote_model) and self.persona is not None and not self.in_call:
            self.open_persona(self.persona)
        if new.language != old.language:
            self.language_changed.emit(new.language or "")

    def open_memory(self) -> None:
        if self.persona is None or self.hearth.store is None:
            return
        if self.memory_dialog is not None:
            self.memory_dialog.close()
        self.memory_dialog = MemoryDialog(self.hearth, self.persona, self.language, self,
                                          before_forget=self._end_conversation)
        self.memory_dialog.forgotten.connect(self._forgotten)
        self.memory_dialog.show()

    def open_setup(self) -> None:
        if self.setup_dialog is not None and self.setup_dialog.isVisible():
            self.setup_dialog.raise_()
            return
        languages = self.persona.languages if self.persona else ["en"]
        self.setup_dialog = SetupDialog(self.hearth.dirs, languages, self, self.catalog_path)
        self.setup_dialog.accepted.connect(self._setup_done)
        self.setup_dialog.show()

    def _setup_done(self) -> None:
        if self.persona is not None:
            self.open_persona(self.persona)  # load the new engines
