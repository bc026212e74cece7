"""The transcript a chat shows, as plain data: lines, which reply each turn writes into, which
user lines still wait for their save. No Qt here (the window renders it), so it is tested
headless with the call's own events."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from desktop.call.events import (
    MemoriesUsed,
    ReplyFinished,
    ReplyStarted,
    ReplyToken,
    TurnSaved,
)
from desktop.text import narration_spans


@dataclass
class TranscriptLine:
    who: str  # "user" | "persona"
    text: str
    memories: list[str] = field(default_factory=list)  # what the reply was given
    saved: bool = True  # False while a user's message waits for its commit
    interrupted: bool = False  # the user talked over it: the text is what they heard
    time: str = ""  # when it was said, local HH:MM
    row: int | None = None  # the store's id of the message, once saved: it can be edited


@dataclass(frozen=True)
class Labels:
    """The words the window shows around lines, in the UI's language."""

    you: str = "You"
    persona: str = ""
    remembered: str = "Remembered:"
    saving: str = "saving…"
    interrupted: str = "cut off"
    edit: str = "edit"
    delete: str = "delete"
    other_greeting: str = "another greeting"


class Transcript:
    def __init__(self, lines: list[TranscriptLine] | None = None) -> None:
        self.lines: list[TranscriptLine] = list(lines or [])
        self._line_of_turn: dict[int, int] = {}  # reply turn -> its line
        self._user_line_of_turn: dict[int, int] = {}  # typed user turn -> its line, until saved
        self._spoken_lines: list[int] = []  # spoken user lines waiting for their save, in order
        self._reply_text = ""
        self.greetings: list[str] = []  # the openings an empty chat may swipe through
        self.greeting_index = 0
        self._opening: int | None = None  # the greeting's line while it may still be swiped

    @staticmethod
    def now() -> str:
        from datetime import datetime

        return datetime.now().strftime("%H:%M")

    def greet(self, greetings: list[str]) -> None:
        """An empty chat opens with the persona's greeting (shown, not yet a saved turn);
        until the user answers, its other greetings can be swiped to."""
        if not self.lines and greetings:
            self.greetings, self.greeting_index = list(greetings), 0
            self.lines.append(TranscriptLine("persona", greetings[0]))
            self._opening = 0
            self._line_of_turn[0] = 0  # its save, when answered, comes as turn 0

    @property
    def greeting(self) -> str | None:
        """The greeting shown while the chat has not begun (None once it has)."""
        return self.lines[0].text if self._opening is not None else None

    def swipe(self, step: int) -> str | None:
        """Show the next (``step`` 1) or previous (-1) greeting; returns it, or None when
        the chat has begun or there is no other."""
        if self._opening is None or len(self.greetings) < 2:
            return None
        self.greeting_index = (self.greeting_index + step) % len(self.greetings)
        self.lines[0].text = self.greetings[self.greeting_index]
        return self.lines[0].text

    def answered(self) -> None:
        """The user's first message: the greeting stays as it is."""
        self._opening = None

    def line_of_row(self, row: int) -> int | None:
        return next((i for i, line in enumerate(self.lines) if line.row == row), None)

    def remove(self, index: int) -> None:
        """A message was deleted: its line goes, and the lines after it move up."""
        del self.lines[index]

        def moved(at: int) -> int:
            return at - 1 if at > index else at

        self._line_of_turn = {t: moved(i) for t, i in self._line_of_turn.items() if i != index}
        self._user_line_of_turn = {t: moved(i) for t, i in self._user_line_of_turn.items()
                                   if i != index}
        self._spoken_lines = [moved(i) for i in self._spoken_lines if i != index]

    def drop_last_reply(self) -> None:
        """The last reply is being written again: its line goes."""
        if self.lines and self.lines[-1].who == "persona":
            self.lines.pop()

    def marker(self, text: str) -> None:
        """A call started or ended: a line between the messages, of no one. A call greets
        on its own, so the chat's greeting can no longer be swiped."""
        self.answered()
        self.lines.append(TranscriptLine("marker", text))

    # -- what the user said ----------------------------------------------------------------
    def typed(self, text: str, turn_id: int) -> None:
        """Shown as "saving" until the store's commit returned (docs/reliability.md §4)."""
        self.answered()
        self.lines.append(TranscriptLine("user", text, saved=False, time=self.now()))
        self._user_line_of_turn[turn_id] = len(self.lines) - 1

    def spoke(self, text: str) -> None:
        """A final transcript of speech: its turn id comes only with its save."""
        self.answered()
        self.lines.append(TranscriptLine("user", text, saved=False, time=self.now()))
        self._spoken_lines.append(len(self.lines) - 1)

    # -- what the call says ------------------------------------------------------------------
    def apply(self, event: object, labels: Labels) -> bool:
        """Take one of the call's events; True if the transcript changed."""
        if isinstance(event, ReplyStarted):
            self._reply_text = ""
            self.lines.append(TranscriptLine("persona", "", time=self.now()))
            self._line_of_turn[event.turn_id] = len(self.lines) - 1
        elif isinstance(event, ReplyToken):
            self._reply_text += event.text
            self._set_reply(self._reply_text)
        elif isinstance(event, ReplyFinished):
            self._set_reply(event.full_text if not event.interrupted else event.heard_text)
            self.lines[-1].interrupted = event.interrupted
        elif isinstance(event, MemoriesUsed):
            index = self._line_of_turn.get(event.turn_id)
            if index is None:
                return False
            self.lines[index].memories = [f.text for f in event.facts]
        elif isinstance(event, TurnSaved) and event.role == "assistant":
            index = self._line_of_turn.get(event.turn_id)
            if index is None or index >= len(self.lines):
                return False
            self.lines[index].row = event.row_id
        elif isinstance(event, TurnSaved) and event.role == "user":
            index = self._user_line_of_turn.pop(event.turn_id, None)
            if index is None and self._spoken_lines:
                index = self._spoken_lines.pop(0)  # said aloud: saved in the order said
            if index is None or index >= len(self.lines):
                return False
            self.lines[index].saved = True
            self.lines[index].row = event.row_id
        else:
            return False
        return True

    def _set_reply(self, text: str) -> None:
        if self.lines and self.lines[-1].who == "persona":
            self.lines[-1].text = text
        else:
            self.lines.append(TranscriptLine("persona", text))

    # -- shown -------------------------------------------------------------------------------
    def to_html(self, labels: Labels, editable: bool = False) -> str:
        """The chat as rich text: each message beside its speaker's picture (the images
        ``avatar:user`` and ``avatar:persona``, which the view provides). ``editable``: a
        saved message carries its edit and delete links (``hearth:edit/N``,
        ``hearth:delete/N`` for line N), the unanswered greeting its swipe arrows
        (``hearth:greeting/1`` and ``/-1``)."""
        parts = []
        for index, line in enumerate(self.lines):
            if line.who == "marker":
                parts.append(f"<p align='center' style='color:#9a98a0; font-size:12px'>"
                             f"— {html.escape(line.text)} —</p>")
                continue
            parts.append(self._message_html(index, line, labels, editable))
        return "".join(parts)

    def _message_html(self, index: int, line: TranscriptLine, labels: Labels,
                      editable: bool) -> str:
        quiet = "color:#9a98a0; font-size:12px"
        label = labels.you if line.who == "user" else labels.persona
        color = "#8fb8ff" if line.who == "user" else "#9fd8b5"
        notes = ""
        if line.memories:
            listed = html.escape(" · ".join(line.memories))
            notes = f"<br><span style='{quiet}'>{html.escape(labels.remembered)} {listed}</span>"
        if not line.saved:
            notes += f" <span style='{quiet}'>({html.escape(labels.saving)})</span>"
        if line.interrupted:
            notes += f" <span style='{quiet}'>— {html.escape(labels.interrupted)}</span>"
        when = (f" <span style='color:#9a98a0; font-size:11px'>{html.escape(line.time)}"
                "</span>" if line.time else "")
        actions = ""
        if editable and index == self._opening and len(self.greetings) > 1:
            title = html.escape(labels.other_greeting)
            arrow = "color:#9fd8b5; font-size:20px; font-weight:bold; text-decoration:none"
            actions = (f" &nbsp;<a href='hearth:greeting/-1' title='{title}' "
                       f"style='{arrow}'>&nbsp;‹&nbsp;</a>"
                       f"<span style='{quiet}'>{self.greeting_index + 1}/"
                       f"{len(self.greetings)}</span>"
                       f"<a href='hearth:greeting/1' title='{title}' "
                       f"style='{arrow}'>&nbsp;›&nbsp;</a>")
        elif editable and line.row is not None:
            actions = "".join(f" &nbsp;<a href='hearth:{verb}/{index}' style='{quiet}'>"
                              f"{html.escape(word)}</a>"
                              for verb, word in (("edit", labels.edit),
                                                 ("delete", labels.delete)))
        text = _with_narration(line.text).replace(chr(10), "<br>")
        return (f"<table width='100%' cellspacing='0' cellpadding='3'><tr>"
                f"<td width='40' valign='top'><img src='avatar:{line.who}' width='32' "
                f"height='32'></td><td valign='top'><b style='color:{color}'>"
                f"{html.escape(label)}</b>{when}{actions}<br>{text}{notes}</td></tr></table>")


def _with_narration(text: str) -> str:
    """Escaped ``text`` with roleplay narration (*She smiles.*) set as narration: italic,
    quieter, without its asterisks."""
    out, at = [], 0
    for start, end in narration_spans(text):
        out.append(html.escape(text[at:start]))
        out.append(f"<i style='color:#b9b4c7'>{html.escape(text[start + 1:end - 1])}</i>")
        at = end
    out.append(html.escape(text[at:]))
    return "".join(out)


def local_time(stamp: str) -> str:
    """A stored UTC timestamp as the user's clock shows it (HH:MM; the date too if not
    today)."""
    from datetime import datetime

    from desktop.timestamps import parse_utc

    try:
        moment = parse_utc(stamp).astimezone()
    except ValueError:
        return ""
    today = datetime.now().astimezone().date()
    return moment.strftime("%H:%M" if moment.date() == today else "%Y-%m-%d %H:%M")
