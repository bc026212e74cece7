from desktop.call.sentences import SentenceSplitter, ramp_for


def feed(text: str, splitter: SentenceSplitter | None = None) -> list[str]:
    splitter = splitter or SentenceSplitter()
    out = []
    for ch in text:  # one character at a time, like a token stream
        out += splitter.push(ch)
    rest = splitter.flush()
    return out + ([rest] if rest else [])


def test_first_clause_is_spoken_early_then_whole_sentences() -> None:
    pieces = feed("Well, after a long storm at sea, the lamp still burned. It always did! Yes.")
    # The opening interjection goes first, as soon as it is written.
    assert pieces[0] == "Well,"
    # The second piece may end at a clause too: it is ready before the short first one ends.
    assert pieces[1:] == ["after a long storm at sea,", "the lamp still burned.",
                          "It always did!", "Yes."]


def test_first_piece_without_a_clause_is_a_few_words() -> None:
    pieces = feed("The lighthouse keeper lit the lamp at dusk.")
    assert pieces == ["The lighthouse", "keeper lit the lamp at dusk."]


def test_chinese_punctuation_splits() -> None:
    assert feed("你好。今天怎么样？很好") == ["你好。", "今天怎么样？", "很好"]


def test_long_first_piece_without_punctuation_is_cut_at_a_word() -> None:
    pieces = feed("word " * 30)
    assert len(pieces[0]) <= 20 and not pieces[0].endswith(" ")
    assert " ".join(pieces).split() == ["word"] * 30


def test_punctuation_only_pieces_are_not_spoken() -> None:
    assert feed(". . Hello there.") == ["Hello there."]


def test_a_forced_first_cut_falls_before_a_phrase_starter() -> None:
    # "I think | the mountains" sounds like a breath; "I think the | mountains" sounds broken.
    pieces = feed("I think the mountains are lovely in spring.")
    assert pieces[:2] == ["I think", "the mountains are lovely"]
    assert feed("Yesterday we walked along the river path.")[0] == "Yesterday we walked"
    # Streamed tokens start with a space: that is not a word.
    assert feed(" near at well good window story.")[0] != "near"


def test_where_the_model_writes_slowly_the_first_piece_is_a_couple_of_words() -> None:
    """At ~23 tok/s every token of the first piece is ~45 ms more wait before the voice."""
    text = "The keeper climbs the stairs every night to light the lamp."
    fast = feed(text, SentenceSplitter(ramp_for(45.0)))
    slow = feed(text, SentenceSplitter(ramp_for(22.0)))
    unknown = feed(text, SentenceSplitter(ramp_for(None)))
    assert fast == unknown  # before the first reply the rate is not known: as on a fast CPU
    assert len(slow[0]) <= 12 < len(fast[0]) <= 20
    assert " ".join(slow) == " ".join(fast) == text  # the same words, cut sooner
