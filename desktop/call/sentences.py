"""Splits streamed LLM text into pieces worth speaking: the first clause as soon as it
exists (to start speaking early), then whole sentences (for natural prosody)."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"([.!?…]+[\"')\]]?)(\s+)|([。！？；]+)")
_CLAUSE_END = re.compile(r"([,;:—])(\s+)|([，、：])")
# A phrase usually begins at one of these words: a forced cut just before one sounds like a
# breath, a cut after it ("I saw the | lamp") sounds broken.
_PHRASE_STARTERS = frozenset((
    "a", "an", "the", "and", "but", "or", "so", "because", "when", "while", "if", "that",
    "which", "who", "to", "in", "on", "at", "of", "for", "with", "from", "by", "about",
    "after", "before", "is", "are", "was", "were", "will", "would", "can", "could", "i",
    "you", "we", "they", "he", "she", "it"))


RAMP = ((1, 20), (2, 32), (3, 64), (4, 140))
# Where the model writes slowly (a slow CPU: ~23 tok/s), each token of the first piece costs
# ~45 ms of the user's wait: the first piece is then two words or so; the second, written
# while the first plays, is as long as before.
SLOW_DECODE_TOK_S = 30.0
SLOW_RAMP = ((1, 12), *RAMP[1:])


def ramp_for(decode_tok_s: float | None) -> tuple[tuple[int, int], ...]:
    """The first pieces' sizes for a model that writes ``decode_tok_s`` (None: not known
    yet)."""
    return SLOW_RAMP if decode_tok_s is not None and decode_tok_s < SLOW_DECODE_TOK_S else RAMP


class SentenceSplitter:
    def __init__(self, ramp: tuple[tuple[int, int], ...] = RAMP,
                 max_chars: int = 220) -> None:
        self.buffer = ""
        # The first pieces decide when speech starts and whether it flows: (words before a
        # clause may end the piece, most characters) for piece 0, 1, ... then whole sentences
        # up to ``max_chars``. The opening interjection ("Well,", "Oh,") is a piece of its
        # own, as people say it; otherwise at most 20 characters (3-4 words): at 16-20 tok/s
        # on a 2-core laptop every token waited for is ~55 ms, and piper's time grows with
        # the piece (measured on the 1.5B shape, 20 characters start the voice ~400 ms sooner
        # than 32 did; docs/benchmarks.md). The next pieces grow about twofold and may end at
        # a clause too: each is written (~75 characters a second at 16 tok/s) and synthesized
        # while the one before it plays (~15 characters a second), so the voice starts early
        # and then flows. Measured: a 48-character second piece left p90 629 ms of silence in
        # the first second of speech, 32 left 278 ms (after a one-word "Well,", a natural
        # pause).
        self.ramp = ramp
        self.max_chars = max_chars
        self.emitted = 0

    def push(self, text: str) -> list[str]:
        self.buffer += text
        out: list[str] = []
        while True:
            piece = self._next_piece()
            if piece is None:
                break
            out.append(piece)
        return out

    def flush(self) -> str | None:
        rest = self.buffer.strip()
        self.buffer = ""
        if rest and _speakable(rest):
            self.emitted += 1
            return rest
        return None

    def _next_piece(self) -> str | None:
        match = _SENTENCE_END.search(self.buffer)
        ramping = self.emitted < len(self.ramp)
        clause_words, limit = self.ramp[self.emitted] if ramping else (0, self.max_chars)
        if match is None and ramping:
            for clause in _CLAUSE_END.finditer(self.buffer):
                if len(self.buffer[: clause.start()].split()) >= clause_words:
                    match = clause
                    break
        if match is None and len(self.buffer) > limit:
            cut = self._phrase_cut(limit) if ramping else -1
            if cut <= 0:
                cut = self.buffer.rfind(" ", 0, limit)
            if cut > 0:
                return self._take(cut, cut + 1)
        if match is None:
            return None
        return self._take(match.end(1) if match.group(1) else match.end(), match.end())

    def _phrase_cut(self, limit: int) -> int:
        """The last space before ``limit`` that is followed by a whole phrase starter and
        leaves at least two words before it; -1 if there is none."""
        best, position, words_before = -1, 0, 0
        words = self.buffer.split(" ")
        for index, word in enumerate(words[:-1]):  # the last word may still be growing
            position += len(word)
            words_before += bool(word)
            following = words[index + 1]
            complete = index + 1 < len(words) - 1
            if (position < limit and words_before >= 2 and complete
                    and following.lower() in _PHRASE_STARTERS):
                best = position
            position += 1
        return best

    def _take(self, end: int, consume: int) -> str | None:
        piece = self.buffer[:end].strip()
        self.buffer = self.buffer[consume:]
        if not _speakable(piece):
            return self._next_piece()
        self.emitted += 1
        return piece


def _speakable(text: str) -> bool:
    return any(ch.isalnum() for ch in text)
