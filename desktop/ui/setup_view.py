"""The setup screen: what this computer can do, a tier of models that fits it, downloads with
progress (pause, resume, cancel), files from disk, a server on the network, and a self-test
that says whether calls will feel fast. Shown on first run and from the header's Setup button.

All work runs on worker threads (desktop.models.setup); results come back through the bridge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop.models.inventory import CatalogEntry, Inventory, load_catalog
from desktop.models.setup import (
    DownloadQueue,
    Installed,
    Machine,
    QueueState,
    SelfTest,
    Tier,
    installed_models,
    last_self_test,
    recommend,
    remove_model,
    save_self_test,
    self_test,
    tiers_for,
)
from desktop.paths import DataDirs
from desktop.settings import Settings
from desktop.ui.bridge import EngineBridge


def _mb(value: float) -> str:
    return f"{value / 1000:.1f} GB" if value >= 1000 else f"{value:.0f} MB"


class SetupDialog(QDialog):
    def __init__(self, dirs: DataDirs, languages: list[str], parent: QWidget | None = None,
                 catalog_path: Path | None = None) -> None:
        # Long: the screen's widgets and their layout, in the order they appear on it
        super().__init__(parent)
        self.dirs = dirs
        self.inventory = Inventory(dirs)
        self.catalog = load_catalog(catalog_path)
        self.tiers = tiers_for(self.catalog, languages)
        self.queue: DownloadQueue | None = None
        self.installed: list[Installed] = []
        self.bridge = EngineBridge(self)
        self.setWindowTitle(self.tr("Set up Hearth"))
        self.resize(720, 560)

        self.machine_label = QLabel(self.tr("Checking this computer…"))
        self.machine_label.setWordWrap(True)
        machine_box = QGroupBox(self.tr("This computer"))
        QVBoxLayout(machine_box).addWidget(self.machine_label)

        self.tier_group = QButtonGroup(self)
        tier_box = QGroupBox(self.tr("How Hearth thinks and speaks"))
        tier_layout = QVBoxLayout(tier_box)
        self.tier_buttons: list[QRadioButton] = []
        for index, tier in enumerate(self.tiers):
            button = QRadioButton(self._tier_text(tier, recommended=False))
            self.tier_group.addButton(button, index)
            tier_layout.addWidget(button)
            self.tier_buttons.append(button)
        self.download_button = QPushButton(self.tr("Download"))
        self.pause_button = QPushButton(self.tr("Pause"))
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.file_bar, self.total_bar = QProgressBar(), QProgressBar()
        self.progress_label = QLabel(self.tr(
            "Nothing leaves this computer except the downloads you start here."))
        self.progress_label.setWordWrap(True)
        row = QHBoxLayout()
        for button in (self.download_button, self.pause_button, self.cancel_button):
            row.addWidget(button)
        row.addStretch(1)
        tier_layout.addLayout(row)
        tier_layout.addWidget(self.file_bar)
        tier_layout.addWidget(self.total_bar)
        tier_layout.addWidget(self.progress_label)

        self.installed_list = QListWidget()
        self.installed_list.setMaximumHeight(110)
        self.remove_button = QPushButton(self.tr("Remove"))
        installed_box = QGroupBox(self.tr("Installed models"))
        installed_layout = QHBoxLayout(installed_box)
        installed_layout.addWidget(self.installed_list, 1)
        installed_layout.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)

        self.disk_button = QPushButton(self.tr("Choose files on disk…"))
        self.folder_button = QPushButton(self.tr("Choose a recognizer folder…"))
        self.remote_button = QPushButton(self.tr("Use a computer on my network…"))
        other = QHBoxLayout()
        other.addWidget(self.disk_button)
        other.addWidget(self.folder_button)
        other.addWidget(self.remote_button)
        other.addStretch(1)

        self.test_button = QPushButton(self.tr("Test this computer"))
        self.verdict = QLabel("")
        self.verdict.setWordWrap(True)
        self.start_button = QPushButton(self.tr("Start"))
        self.start_button.setObjectName("call")
        bottom = QHBoxLayout()
        bottom.addWidget(self.test_button)
        bottom.addWidget(self.verdict, 1)
        bottom.addWidget(self.start_button)

        self.file_bar.hide()  # shown once a download starts
        self.total_bar.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(machine_box)
        layout.addWidget(tier_box)
        layout.addLayout(other)
        layout.addWidget(installed_box)
        layout.addStretch(1)
        layout.addLayout(bottom)

        self.download_button.clicked.connect(self.download)
        self.pause_button.clicked.connect(self.pause_or_resume)
        self.cancel_button.clicked.connect(self.cancel)
        self.disk_button.clicked.connect(self.choose_files)
        self.folder_button.clicked.connect(self.choose_folder)
        self.remote_button.clicked.connect(self.use_remote)
        self.test_button.clicked.connect(self.run_self_test)
        self.start_button.clicked.connect(self.accept)
        self.remove_button.clicked.connect(self.remove_selected)
        self.installed_list.currentRowChanged.connect(lambda _row: self._refresh_buttons())
        self._refresh_buttons()
        self.reload_installed()
        self._background(lambda: (Machine.here(dirs.root), last_self_test(dirs.root)),
                         self._show_machine)

    # -- plumbing -------------------------------------------------------------------------
    def _background(self, work: Callable[[], object], done: Callable[[object], None]) -> None:
        self.bridge.background(work, done, self._failed, "setup")

    def _failed(self, error: Exception) -> None:
        self._testing = False
        self.progress_label.setText(str(error))
        self._refresh_buttons()

    def _tier_text(self, tier: Tier, recommended: bool) -> str:
        mark = self.tr(" (recommended for this computer)") if recommended else ""
        # The tiers are the catalog's (desktop.models.setup.TIERS); their words are the UI's.
        words = {
            "Light": (self.tr("Light"), self.tr("Quick, short and simple replies; runs on "
                                                "almost any laptop.")),
            "Standard": (self.tr("Standard"), self.tr("Natural conversation with good memory; "
                                                      "needs a recent laptop.")),
            "Rich": (self.tr("Rich"), self.tr("The most thoughtful replies; needs a strong "
                                              "computer.")),
        }
        name, feel = words.get(tier.name, (tier.name, tier.feel))
        return f"{name}{mark} · {_mb(tier.download_mb())} · {feel}"

    def _show_machine(self, found: tuple[Machine, SelfTest | None]) -> None:
        machine, self.measured = found
        ram = f"{machine.ram_bytes / 1e9:.0f} GB" if machine.ram_bytes else "?"
        features = ", ".join(sorted(machine.features & {"avx2", "avx512f", "fma", "neon"}))
        self.machine_label.setText(self.tr(
            "{cores} cores, {ram} of memory, {disk} free on disk; CPU features: {features}")
            .format(cores=machine.cores, ram=ram, disk=f"{machine.free_disk_bytes / 1e9:.0f} GB",
                    features=features or "-"))
        self.machine = machine
        self._mark_recommended(select=True)
        self._refresh_buttons()

    def _mark_recommended(self, select: bool = False) -> None:
        """Mark the tier recommend() picks for this machine and its last self-test (the same
        decision ``hearth doctor`` reports); ``select`` it too on first showing only, never
        over the user's own choice."""
        if self.machine is None:
            return
        best = recommend(self.tiers, self.machine, self.measured)
        for tier, button in zip(self.tiers, self.tier_buttons, strict=True):
            button.setText(self._tier_text(tier, tier is best))
            if tier is best and select:
                button.setChecked(True)

    def chosen_tier(self) -> Tier | None:
        index = self.tier_group.checkedId()
        return self.tiers[index] if 0 <= index < len(self.tiers) else None

    def has_brain(self) -> bool:
        return bool(Settings.load(self.dirs.root).remote_url or self.inventory.llm_files())

    def reload_installed(self) -> None:
        self._background(lambda: installed_models(self.inventory), self._show_installed)

    def _show_installed(self, items: list[Installed]) -> None:
        self.installed = items
        self.installed_list.clear()
        for item in items:
            kind = {"llm": self.tr("language model"), "voice": self.tr("voice"),
                    "asr": self.tr("speech recognizer"),
                    "vad": self.tr("voice activity detector"),
                    "face": self.tr("face detector")}.get(item.kind, item.kind)
            self.installed_list.addItem(f"{item.path.name} · {kind} · "
                                        f"{_mb(item.size_bytes / 1e6)}")
        self._refresh_buttons()

    def remove_selected(self) -> None:
        row = self.installed_list.currentRow()
        if not 0 <= row < len(self.installed):
            return
        item = self.installed[row]
        self._background(lambda: remove_model(item), lambda _r: self.reload_installed())

    def _refresh_buttons(self) -> None:
        running = self.queue is not None and self.queue.status.state in ("running", "connecting")
        self.remove_button.setEnabled(not running and self.installed_list.currentRow() >= 0)
        paused = self.queue is not None and self.queue.status.state == "paused"
        self.download_button.setEnabled(not running and self.chosen_tier() is not None)
        self.pause_button.setEnabled(running or paused)
        self.pause_button.setText(self.tr("Resume") if paused else self.tr("Pause"))
        self.cancel_button.setEnabled(running or paused)
        self.test_button.setEnabled(not running and bool(self.inventory.llm_files()))
        self.start_button.setEnabled(not running and self.has_brain())

    # -- downloads ------------------------------------------------------------------------
    def download(self) -> None:
        tier = self.chosen_tier()
        if tier is None:
            return
        entries: list[CatalogEntry] = list(tier.entries)
        # Each event carries a copy: the queue keeps changing its state on its own thread.
        self.queue = DownloadQueue(entries, self.inventory, on_change=lambda s: self.bridge.call(
            self._progress, replace(s, finished=list(s.finished))))
        settings = Settings.load(self.dirs.root)
        settings.llm_file = entries[0].file
        settings.save(self.dirs.root)
        self.queue.start()
        self.file_bar.show()
        self.total_bar.show()
        self._refresh_buttons()

    def pause_or_resume(self) -> None:
        if self.queue is None:
            return
        if self.queue.status.state == "paused":
            self.queue.start()
        else:
            self.queue.pause()
        self._refresh_buttons()

    def cancel(self) -> None:
        if self.queue is not None:
            self.queue.cancel()

    def _progress(self, state: QueueState) -> None:
        if state.file_total:
            self.file_bar.setMaximum(1000)
            self.file_bar.setValue(int(1000 * state.file_done / state.file_total))
        if state.overall_total:
            self.total_bar.setMaximum(1000)
            self.total_bar.setValue(min(1000, int(1000 * state.overall_done
                                                  / state.overall_total)))
        speed = state.bytes_per_s / 1e6
        left = ""
        if state.bytes_per_s > 0 and state.overall_total > state.overall_done:
            left = self.tr(", about {s} s left").format(
                s=int((state.overall_total - state.overall_done) / state.bytes_per_s))
        texts = {
            "connecting": self.tr("Connecting…"),
            "running": self.tr("Downloading {file} at {speed:.1f} MB/s{left}").format(
                file=state.file, speed=speed, left=left),
            "paused": self.tr("Paused. Resume continues where it stopped, also after a "
                              "restart."),
            "cancelled": self.tr("Cancelled; the partial files were deleted."),
            "done": self.tr("All models are installed and verified."),
            "failed": state.error or "",
        }
        self.progress_label.setText(texts.get(state.state, ""))
        self._refresh_buttons()
        if state.state == "done":
            self.total_bar.setValue(self.total_bar.maximum())
            self.reload_installed()
            self.run_self_test()

    # -- other sources ----------------------------------------------------------------------
    def choose_files(self) -> None:
        files, _filter = QFileDialog.getOpenFileNames(
            self, self.tr("Choose a GGUF model, a piper voice, a voice activity model or a "
                          "face detector"), str(Path.home()), self.tr("Models (*.gguf *.onnx)"))
        self.add_from_disk([Path(f) for f in files])

    def choose_folder(self) -> None:
        """A speech recognizer comes as a folder (SenseVoice: model and tokens.txt)."""
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Choose a speech recognizer folder (SenseVoice from sherpa-onnx)"),
            str(Path.home()))
        self.add_from_disk([Path(folder)] if folder else [])

    def add_from_disk(self, paths: list[Path]) -> None:
        """Check each file or folder (in a child process) and copy it in, off the Qt thread."""
        if not paths:
            return
        from desktop.models.sideload import accept_local_file

        self.progress_label.setText(self.tr("Checking the files…"))

        def check() -> list[str]:
            return [accept_local_file(path, self.dirs.models).name for path in paths]

        self._background(check, lambda names: (self.progress_label.setText(
            self.tr("Checked and installed: {names}").format(names=", ".join(names))),
            self.reload_installed()))

    def use_remote(self) -> None:
        url, ok = QInputDialog.getText(
            self, self.tr("A computer on your network"),
            self.tr("Address of an OpenAI-compatible server (llama.cpp, Ollama, vLLM).\n"
                    "Your conversation text will leave this computer for it."),
            text="http://")
        if not ok or not url.strip():
            return
        from desktop.brain.remote import RemoteLLM, check_server_url
        from desktop.errors import HearthError

        try:
            url = check_server_url(url)
        except HearthError as error:
            self.progress_label.setText(str(error))
            return
        settings = Settings.load(self.dirs.root)
        settings.remote_url = url
        settings.save(self.dirs.root)
        self.progress_label.setText(RemoteLLM(url).disclosure())
        self._refresh_buttons()

    # -- the self-test --------------------------------------------------------------------
    def run_self_test(self) -> None:
        llm = self.inventory.choose_llm(Settings.load(self.dirs.root).llm_file)
        if llm is None or self._testing:
            return
        self._testing = True  # one at a time: it measures this machine's whole CPU
        voices = self.inventory.voices()
        voice = self.inventory.voice_dir / f"{next(iter(voices))}.onnx" if voices else None
        self.verdict.setText(self.tr("Testing this computer (about 20 seconds)…"))
        self.test_button.setEnabled(False)
        persona = self._persona()

        def measure() -> SelfTest:
            result = self_test(llm, voice, seconds=self.self_test_seconds,
                               face_persona=persona)
            save_self_test(self.dirs.root, result)  # for doctor and the recommendation
            return result

        self._background(measure, self._show_verdict)

    def _persona(self):
        from desktop.personas.library import PersonaLibrary

        personas = PersonaLibrary(self.dirs).list()
        return personas[0] if personas else None

    self_test_seconds = 20.0
    _testing = False
    machine: Machine | None = None
    measured: SelfTest | None = None  # the last self-test (read off the Qt thread)

    def _plain_words(self, result) -> str:
        """The self-test in words a user reads once: how soon the persona answers, whether it
        writes faster than it speaks, whether its face moves smoothly."""
        seconds = result.estimated_first_audio_ms / 1000
        lines = [self.tr("Calls will feel natural here: the persona starts speaking about "
                         "{seconds:.1f} s after you finish.").format(seconds=seconds)
                 if result.fast_enough else
                 self.tr("Calls will feel slow here: about {seconds:.1f} s before the persona "
                         "starts speaking. Choose the lighter tier, or use a stronger computer "
                         "on your network.").format(seconds=seconds)]
        # About 0.75 words a token; people speak about 2.5 words a second.
        words = result.tokens_per_s * 0.75
        lines.append(self.tr("It thinks faster than it talks, so replies flow without pauses.")
                     if words >= 3 else
                     self.tr("It thinks slower than it talks, so long replies may pause."))
        if result.face_fps is not None:
            lines.append(self.tr("Its face moves smoothly.") if result.face_fps >= 25 else
                         self.tr("Its face may move in jerks on this computer."))
        return "\n".join(lines)

    def _show_verdict(self, result) -> None:
        self._testing = False
        self.verdict.setText(self._plain_words(result))
        self.verdict.setAlignment(Qt.AlignmentFlag.AlignLeft)
        self.measured = result
        self._mark_recommended()  # a slow measurement moves the recommendation down a tier
        self._refresh_buttons()
