from desktop.call.sentences import SentenceSplitter


def feed(text: str, splitter: SentenceSplitter | None = None) -> list[str]:
    splitter = splitter or SentenceSplitter()
    out = []
    for ch in text:  # one character at a time, like a token stream
        out += splitter.push(ch)
    rest = splitter.flush()
    return out + ([rest] if rest else [])


def test_first_clause_is_spoken_early_then_whole_sentences() -> None:
    pieces = feed("Well, after a long storm at sea, the lamp still burned. It always did! Yes.")
    assert pieces[0] == "Well, after a long storm at sea,"
    assert pieces[1:] == ["the lamp still burned.", "It always did!", "Yes."]


def test_chinese_punctuation_splits() -> None:
    assert feed("你好。今天怎么样？很好") == ["你好。", "今天怎么样？", "很好"]


def test_long_first_piece_without_punctuation_is_cut_at_a_word() -> None:
    pieces = feed("word " * 30)
    assert len(pieces[0]) <= 32 and not pieces[0].endswith(" ")
    assert " ".join(pieces).split() == ["word"] * 30


def test_punctuation_only_pieces_are_not_spoken() -> None:
    assert feed(". . Hello there.") == ["Hello there."]
