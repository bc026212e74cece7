"""Hearth's main window: the persona library, the chat view and the call view."""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.app import Hearth
from desktop.call.events import (
    Caption,
    Hearing,
    ListeningState,
    MemoryUpdated,
    Notice,
    ReplyFinished,
    ReplyStarted,
)
from desktop.call.session import Conversation
from desktop.call.video import FaceLoop, FrameMailbox
from desktop.errors import HearthError
from desktop.face.animator import FaceAnimator
from desktop.face.loading import load_portrait
from desktop.personas.library import Persona
from desktop.settings import Settings
from desktop.ui.banner import Banner
from desktop.ui.bridge import EngineBridge
from desktop.ui.call_control import CallControl
from desktop.ui.chat_messages import ChatMessages
from desktop.ui.creator_view import CreatorDialog
from desktop.ui.library_actions import LibraryActions, thumbnail
from desktop.ui.memory_view import MemoryDialog
from desktop.ui.models_watch import ModelsWatcher
from desktop.ui.pages import CallPage, ChatPage, MessageInput, style_sheet
from desktop.ui.settings_view import SettingsActions, SettingsDialog
from desktop.ui.setup_view import SetupDialog
from desktop.ui.transcript import Labels, Transcript, TranscriptLine, local_time
from desktop.ui.window_events import Ready, StoreProblem

# What can be dropped on the window: bundles, character cards, revocation lists.
log = logging.getLogger(__name__)


class MainWindow(LibraryActions, SettingsActions, QMainWindow):
    # The user chose another language: the window is rebuilt in it (desktop.ui.run).
    language_changed = Signal(str)

    def __init__(self, hearth: Hearth, language: str = "en") -> None:
        super().__init__()
        self.hearth = hearth
        self.language = language
        self.bridge = EngineBridge(self)
        self.bridge.event.connect(self.on_event)
        self.conversation: Conversation | None = None
        self.persona: Persona | None = None
        self.animator = FaceAnimator()
        self.mailbox = FrameMailbox()
        self.face_loop: FaceLoop | None = None
        self.calls = CallControl(self)
        self.messages = ChatMessages(self)
        self.transcript = Transcript()
        self.memory_dialog: MemoryDialog | None = None
        self._generation = 0
        self._loaders: list[threading.Thread] = []
        self.setWindowTitle("Hearth")
        self.resize(1100, 720)
        settings = Settings.load(hearth.dirs.root)
        self.setStyleSheet(style_sheet(settings.theme, settings.text_size))

        self._build_library_column()
        self.creator_dialog: CreatorDialog | None = None
        self.setAcceptDrops(True)  # drop a .persona file anywhere on the window
        self.last_import_text = ""
        self.pending_import = None  # (confirmation box, its Install button)
        self._build_header()
        self.setup_dialog: SetupDialog | None = None
        self._setup_offered = False
        self.catalog_path = None  # tests point the setup screen at a loopback catalog
        self.banner = Banner(hearth)
        self.banner.setup_requested.connect(self.open_setup)
        self.chat = ChatPage()
        self.call = CallPage()
        self.pages = QStackedWidget()
        self.pages.addWidget(self.chat)
        self.pages.addWidget(self.call)
        self._lay_out()
        self._connect_pages()
        self.set_ready(False)
        # Models added while the window is open (hearth models add, a copy by hand) are
        # picked up without a restart.
        self._models_watch = ModelsWatcher(hearth.dirs.models, self)
        self._models_watch.changed.connect(self._models_changed)
        # Saving stuck (disk full) or working again: reported from the store's writer thread.
        self.hearth.store_listeners.append(lambda text: self.bridge.post(StoreProblem(text)))
        # What the window does with each kind of event (the transcript takes its own first).
        self._handlers: dict[type, Callable[[object], None]] = {
            Ready: self._ready, StoreProblem: self._store_changed, Hearing: self.calls.heard,
            ListeningState: lambda event: self.calls.listening_state(event.state),
            MemoryUpdated: self._memory_updated, Caption: self._caption,
            ReplyStarted: self._reply_started,
            ReplyFinished: self._reply_finished, Notice: self._notice,
        }
        self.populate_library()

    def _build_library_column(self) -> None:
        """The persona list and the library's actions, on the left."""
        self.library = QListWidget()
        self.library.setFixedWidth(260)
        self.library.currentItemChanged.connect(self._persona_chosen)
        self.import_button = QPushButton(self.tr("Import persona…"))
        self.import_button.clicked.connect(self.choose_bundle)
        self.create_button = QPushButton(self.tr("Create persona…"))
        self.create_button.clicked.connect(self.open_creator)
        self.trust_button = QPushButton(self.tr("Trust a publisher…"))
        self.trust_button.clicked.connect(self.trust_publisher)
        self.region_button = QPushButton(self.tr("Country or region…"))
        self.region_button.clicked.connect(self.choose_region)
        self.face_button = QPushButton(self.tr("Place the face…"))
        self.face_button.setToolTip(self.tr("Show Hearth where the eyes and mouth are in this "
                                            "persona's picture, so its face moves"))
        self.face_button.clicked.connect(self.place_face)
        self.details_button = QPushButton(self.tr("About this persona…"))
        self.details_button.clicked.connect(self.show_details)
        self.library.setIconSize(QSize(48, 48))
        self.library.setWordWrap(True)  # long names and owners wrap instead of scrolling
        self.library.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def _build_header(self) -> None:
        """The persona's name and license badge, and the page buttons."""
        self.title = QLabel("")
        title_font = QFont()
        title_font.setPointSize(16)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.badge = QLabel("")
        self.badge.setObjectName("badge")
        self.chat_button = QPushButton(self.tr("Chat"))
        self.call_button = QPushButton(self.tr("Call view"))
        self.memory_button = QPushButton(self.tr("Memory"))
        self.memory_button.clicked.connect(self.open_memory)
        self.setup_button = QPushButton(self.tr("Setup"))
        self.settings_button = QPushButton(self.tr("Settings"))
        self.settings_button.clicked.connect(self.open_settings)
        self.settings_dialog: SettingsDialog | None = None
        self.setup_button.clicked.connect(self.open_setup)
        self.chat_button.clicked.connect(lambda: self.show_page(0))
        self.call_button.clicked.connect(lambda: self.show_page(1))

    def _lay_out(self) -> None:
        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addWidget(self.badge, 1)
        header.addWidget(self.chat_button)
        header.addWidget(self.call_button)
        header.addWidget(self.memory_button)
        header.addWidget(self.setup_button)
        header.addWidget(self.settings_button)
        right = QVBoxLayout()
        right.addLayout(header)
        right.addWidget(self.banner)
        right.addWidget(self.pages, 1)
        root = QWidget()
        body = QHBoxLayout(root)
        left = QVBoxLayout()
        left.addWidget(self.library, 1)
        left.addWidget(self.import_button)
        left.addWidget(self.create_button)
        left.addWidget(self.trust_button)
        left.addWidget(self.region_button)
        left.addWidget(self.face_button)
        left.addWidget(self.details_button)
        body.addLayout(left)
        body.addLayout(right, 1)
        self.setCentralWidget(root)

    def _connect_pages(self) -> None:
        """The chat and call pages' controls, and the draft prefill while the user types."""
        self.chat.send.clicked.connect(self.send_chat)
        self.chat.input.returnPressed.connect(self.send_chat)
        self.chat.stop.clicked.connect(self.stop_reply)
        self.chat.new_chat.clicked.connect(self.new_chat)
        self.chat.regenerate.clicked.connect(self.regenerate)
        self.chat.transcript.anchorClicked.connect(self.messages.clicked)
        self.call.start.clicked.connect(self.calls.start_call)
        self.call.stop.clicked.connect(self.stop_reply)
        self.call.hangup.clicked.connect(self.calls.hang_up)
        self.call.mute.toggled.connect(self.calls.mute)
        self.calls.fill_devices()
        self.call.microphones.activated.connect(self.calls.microphone_chosen)
        self.call.speakers.activated.connect(self.calls.speaker_chosen)
        self.call.input.returnPressed.connect(self.send_call)
        # Prefill what the user is typing (after a short pause), so replies start sooner.
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(250)
        self._draft_timer.timeout.connect(self._send_draft)
        self.chat.input.textEdited.connect(lambda _text: self._draft_timer.start())
        self.call.input.textEdited.connect(lambda _text: self._draft_timer.start())

    def _models_changed(self) -> None:
        persona, conversation = self.persona, self.conversation
        if persona is None or conversation is None or self.calls.in_call:
            return
        if conversation.llm is None or self.hearth.missing_models(persona):
            self.open_persona(persona)  # load what is there now

    @property
    def in_call(self) -> bool:
        return self.calls.in_call

    @property
    def hands_free(self):
        return self.calls.hands_free

    # -- library ----------------------------------------------------------------------
    def populate_library(self, select: str | None = None) -> None:
        self.library.clear()
        region = self.hearth.region()
        for persona in self.hearth.library.list():
            status = self.tr("Verified") if persona.verified else self.tr("Unverified")
            until = persona.license.get("valid_until")
            extra = self.tr(" · until {date}").format(date=str(until)[:10]) if until else ""
            blocked = persona.license_problem(region)
            if blocked:
                extra += "\n" + self.tr("Not available: {why}").format(why=blocked)
            item = QListWidgetItem(f"{persona.name(self.language)}\n{status} · "
                                   f"{persona.owner}{extra}")
            item.setData(Qt.ItemDataRole.UserRole, persona.id)
            item.setIcon(thumbnail(persona.portrait_path))
            self.library.addItem(item)
            if persona.id == select:
                self.library.setCurrentItem(item)
        self.banner.library_problems = list(self.hearth.library.problems)
        if self.hearth.store is not None:  # reads a small file: fine on the Qt thread
            self.banner.notices = self.hearth.store.notices()
        self.show_problems_text([])
        if self.library.count() and self.library.currentRow() < 0:
            self.library.setCurrentRow(0)

    def _persona_chosen(self, item: QListWidgetItem | None, _previous: object = None) -> None:
        if item is None:
            return
        persona = self.hearth.library.get(item.data(Qt.ItemDataRole.UserRole))
        self.open_persona(persona)

    def open_persona(self, persona: Persona) -> None:
        self._end_conversation()
        self.persona = persona
        self._generation += 1
        generation = self._generation
        self.title.setText(persona.name(self.language))
        owner = persona.owner
        until = persona.license.get("valid_until")
        self.badge.setText(
            (self.tr("Verified · likeness by {owner}") if persona.verified
             else self.tr("Unverified · {owner}")).format(owner=owner)
            + (self.tr(" · until {date}").format(date=str(until)[:10]) if until else "")
        )
        self.call.disclosure.setText(
            self.tr("You are talking to an AI persona. {text}").format(
                text=persona.disclosure(self.language))
        )
        self.chat.transcript.clear()
        self.call.caption.setText("")
        portrait = load_portrait(persona)
        self.call.face.set_still(portrait)
        self.messages.show_avatars(persona, portrait, Settings.load(self.hearth.dirs.root)
                                   .user_name)
        self.set_ready(False)
        loading = self.tr("Loading…")
        self.chat.transcript.setHtml(f"<p><i>{html.escape(loading)}</i></p>")
        # Loading a model takes seconds: never on the Qt thread.
        loader = self.bridge.background(lambda: self._load_conversation(persona, generation),
                                        self.on_event, self._load_failed, "open-persona")
        self._loaders = [t for t in self._loaders if t.is_alive()] + [loader]

    def _load_failed(self, error: Exception) -> None:
        if isinstance(error, HearthError):
            text = str(error)
        else:  # a fault in Hearth itself: said in words, the details go to the log
            log.error("Opening the persona failed", exc_info=error)
            text = self.tr("Hearth could not open this persona: something went wrong inside "
                           "Hearth. Please report it, with Hearth's log.")
        self.chat.transcript.setHtml("")
        self.show_problems_text([text])

    def _load_conversation(self, persona: Persona, generation: int) -> Ready:
        conversation = self.hearth.conversation(persona, self.bridge.post, self.animator,
                                                self.language)
        conversation.start()
        lines = []
        store = self.hearth.store
        if store is not None:
            turns = store.turns(persona.id, limit=40, this_chat=True)
            used = store.memories_of_turns([t.id for t in turns if t.role == "assistant"])
            lines = [TranscriptLine("user" if t.role == "user" else "persona", t.text,
                                    [f.text for f in used.get(t.id, [])],
                                    time=local_time(t.created_at))
                     for t in turns if t.text]
        # The face is loaded here too, off the Qt thread: a v2 face decodes its idle loop.
        face_loop = self.hearth.face_loop(persona, self.animator, self.mailbox,
                                          conversation=conversation)
        problems = [*self.hearth.store_problems(), *self.hearth.engines.problems]
        return Ready(generation, conversation, lines, problems, face_loop)

    # -- events from the engine (on the Qt thread) -------------------------------------------
    def on_event(self, event: object) -> None:
        """Every event from the engines, on the Qt thread: the transcript takes what is its,
        then the handler for the event's type, if any."""
        if self.transcript.apply(event, self._labels()):
            self.render_transcript()
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)

    def _ready(self, ready: Ready) -> None:
        if ready.generation != self._generation:
            ready.conversation.close()
            return
        conversation = self.conversation = ready.conversation
        if self.face_loop is not None:
            self.face_loop.stop()
        self.face_loop = ready.face_loop
        self.transcript = Transcript(ready.lines)
        self._greet()
        self.banner.show_problems(ready.problems)
        self.set_ready(conversation.llm is not None)
        if conversation.llm is None and not self._setup_offered:
            self._setup_offered = True  # first run: offer setup once, never nag
            self.open_setup()

    def _store_changed(self, event: StoreProblem) -> None:
        self.banner.store_problem = event.text
        self.show_problems_text([])

    def _memory_updated(self, _event: MemoryUpdated) -> None:
        if self.memory_dialog is not None and self.memory_dialog.isVisible():
            self.memory_dialog.reload()

    def _caption(self, event: Caption) -> None:
        self.call.caption.setText(event.text)

    def _reply_started(self, _event: ReplyStarted) -> None:
        self._replying(True)

    def _replying(self, replying: bool) -> None:
        """Stop is lit only while there is a reply to stop."""
        self.chat.stop.setEnabled(replying)
        self.call.stop.setEnabled(replying)
        self.chat.regenerate.setEnabled(not replying and bool(
            self.conversation and self.conversation.history
            and self.conversation.history[-1].role == "assistant"))

    def _reply_finished(self, event: ReplyFinished) -> None:
        self._replying(False)
        if self.calls.in_call:
            self.call.caption.setText(event.heard_text)
        self.calls.show_meter(event)

    def _notice(self, event: Notice) -> None:
        if event.level == "crisis":
            title = html.escape(self.tr("You are not alone"))
            self.banner.setText(f"<b>{title}</b><p>{html.escape(event.text)}</p>")
            self.banner.show()
        else:
            self.show_problems_text([event.text])

    # -- actions ---------------------------------------------------------------------------
    def show_page(self, index: int) -> None:
        self.pages.setCurrentIndex(index)

    def send_chat(self) -> None:
        self._send(self.chat.input)

    def send_call(self) -> None:
        if not self.calls.in_call:
            self.calls.start_call()
        self._send(self.call.input)

    def _send(self, field: QLineEdit | MessageInput) -> None:
        text = field.text().strip()
        if not text or self.conversation is None or self.conversation.llm is None:
            return
        field.clear()
        if self.transcript.greeting is not None:  # the user answers the greeting shown
            self.conversation.open_with_greeting()
        # Events of the turn are handled on this thread, after this returns: the line is in
        # place before any of them.
        self.transcript.typed(text, self.conversation.say(text))
        self.render_transcript()

    def _send_draft(self) -> None:
        field = self.call.input if self.pages.currentWidget() is self.call else self.chat.input
        if self.conversation is not None and field.text().strip():
            self.conversation.typing(field.text())

    def new_chat(self) -> None:
        if self.conversation is None or self.calls.in_call:
            return
        self.conversation.new_chat()
        self.transcript = Transcript()
        self._greet()

    def _greet(self) -> None:
        """An empty chat shows the persona's greeting; the one shown is the one the chat
        begins with, and a call greets with."""
        if self.persona is not None and self.conversation is not None:
            self.transcript.greet(self.persona.greetings_in(self.language))
            self.conversation.greeting = self.transcript.greeting or self.conversation.greeting
        self.render_transcript()

    def regenerate(self) -> None:
        if self.conversation is None or not self.conversation.regenerate():
            return
        self.transcript.drop_last_reply()
        self.render_transcript()

    def stop_reply(self) -> None:
        if self.conversation is not None:
            self.conversation.stop_speaking()

    def _end_conversation(self) -> None:
        """Hang up and close the conversation, whose threads use the model and the store."""
        self.calls.hang_up()
        self.set_ready(False)
        if self.conversation is not None:
            self.conversation.close()
            self.conversation = None

    def _forgotten(self, persona_id: str) -> None:
        # The open conversation still holds what was just forgotten: start it afresh.
        if self.persona is not None and self.persona.id == persona_id:
            self.open_persona(self.persona)

    def closeEvent(self, event) -> None:
        self._end_conversation()
        # A conversation still loading would open the speaker and start threads after the
        # app closed its engines: wait for it, then close what it delivered.
        self._generation += 1
        for loader in self._loaders:
            loader.join(timeout=60)
        self.bridge.drain()  # stale Ready events close their conversations
        super().closeEvent(event)

    # -- rendering helpers --------------------------------------------------------------------
    def set_ready(self, ready: bool) -> None:
        # The license's permitted modes gate the controls, outside the prompt.
        persona = self.persona
        text_ok = persona is None or persona.allows("text")
        call_ok = persona is None or persona.allows("voice_call")
        for widget in (self.chat.send, self.chat.input):
            widget.setEnabled(ready and text_ok)
        for widget in (self.call.input, self.call.start):
            widget.setEnabled(ready and call_ok)
        self.call_button.setEnabled(call_ok)
        self._replying(False)  # no reply under way whenever readiness changes

    def _labels(self) -> Labels:
        return Labels(you=self.tr("You"),
                      persona=self.persona.name(self.language) if self.persona else "",
                      remembered=self.tr("Remembered:"), saving=self.tr("saving…"),
                      interrupted=self.tr("cut off"), edit=self.tr("edit"),
                      delete=self.tr("delete"), other_greeting=self.tr("Another greeting"))

    def render_transcript(self) -> None:
        self.chat.transcript.setHtml(self.transcript.to_html(self._labels(), editable=True))
        bar = self.chat.transcript.verticalScrollBar()
        bar.setValue(bar.maximum())

    def show_problems_text(self, texts: list[str]) -> None:
        self.banner.show_texts(texts)
