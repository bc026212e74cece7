"""Turn-taking on scripted VAD timelines: no audio, no models."""

from __future__ import annotations

from desktop.call.turns import (
    WINDOW_S,
    BargeIn,
    SpeechResumed,
    SpeechStarted,
    TurnEnded,
    TurnTaker,
)


def run(taker: TurnTaker, script: list[tuple[float, float]], speaking: bool = False,
        start: float = 0.0) -> list[tuple[float, object]]:
    """``script``: (seconds, probability) pieces, played window by window."""
    events, now = [], start
    for seconds, probability in script:
        for _ in range(round(seconds / WINDOW_S)):
            now += WINDOW_S
            events += [(now, e) for e in taker.update(probability, now, speaking)]
    return events


def kinds(events) -> list[str]:
    return [type(e).__name__ for _, e in events]


def test_a_sentence_then_silence_ends_the_turn_about_220_ms_after_the_speech() -> None:
    taker = TurnTaker()
    events = run(taker, [(0.32, 0.0), (1.28, 0.9), (0.64, 0.05)])
    assert kinds(events) == ["SpeechStarted", "SpeechPaused", "TurnEnded"]
    started = events[0][1]
    assert abs(started.at - 0.32) < 1e-6  # the onset, not when it was confirmed
    ended_time, ended = events[-1]
    assert abs(ended.ended_at - 1.60) < 1e-6
    assert 0.22 <= ended_time - ended.ended_at < 0.22 + WINDOW_S


def test_a_short_pause_inside_a_sentence_does_not_end_the_turn() -> None:
    taker = TurnTaker()
    events = run(taker, [(0.64, 0.9), (0.128, 0.1), (0.64, 0.9), (0.5, 0.0)])
    assert kinds(events) == ["SpeechStarted", "SpeechPaused", "SpeechResumed",
                             "SpeechPaused", "TurnEnded"]
    resumed = next(e for _, e in events if isinstance(e, SpeechResumed))
    assert abs(resumed.pause_s - 0.128) < 1e-6


def test_a_click_is_not_speech() -> None:
    taker = TurnTaker()
    assert run(taker, [(0.032, 0.95), (0.5, 0.0)]) == []


def test_soft_syllables_above_the_hysteresis_keep_the_floor() -> None:
    taker = TurnTaker()
    events = run(taker, [(0.3, 0.9), (0.3, 0.4), (0.3, 0.9)])
    assert kinds(events) == ["SpeechStarted"]


def test_a_user_who_pauses_mid_sentence_gets_a_longer_wait() -> None:
    taker = TurnTaker()
    events = run(taker, [(0.5, 0.9), (0.192, 0.0)] * 5 + [(0.5, 0.9)])
    assert "TurnEnded" not in kinds(events)
    # 192 ms pauses are this user's rhythm: the wait now covers them with a margin.
    assert taker.end_silence_s >= 0.192 + taker.config.pause_margin_s - 1e-6


def test_after_being_cut_off_a_thinking_pause_no_longer_ends_the_turn() -> None:
    taker = TurnTaker()
    assert "TurnEnded" in kinds(run(taker, [(0.5, 0.9), (0.352, 0.0)]))
    for _ in range(3):
        taker.turn_was_not_over()
    events = run(taker, [(0.5, 0.9), (0.352, 0.0), (0.5, 0.9)])
    assert "TurnEnded" not in kinds(events)


def test_pauses_learned_keep_the_wait_bounded() -> None:
    taker = TurnTaker()
    for _ in range(6):
        run(taker, [(0.3, 0.9), (0.7, 0.0), (0.3, 0.9), (1.5, 0.0)])
    assert taker.end_silence_s <= taker.config.max_end_silence_s


def test_a_turn_that_was_not_over_lengthens_the_wait() -> None:
    taker = TurnTaker()
    before = taker.end_silence_s
    taker.turn_was_not_over()
    assert taker.end_silence_s > before


def test_speech_over_the_persona_is_a_barge_in_within_100_ms() -> None:
    taker = TurnTaker()
    events = run(taker, [(0.32, 0.0), (0.5, 0.9)], speaking=True)
    assert kinds(events)[:2] == ["BargeIn", "SpeechStarted"]
    when, barge = events[0]
    assert abs(barge.at - 0.32) < 1e-6
    assert when - barge.at <= 0.1


def test_residual_echo_below_the_barge_in_threshold_does_not_interrupt() -> None:
    taker = TurnTaker()
    events = run(taker, [(2.0, 0.6)], speaking=True)
    assert events == []
    # The same level with the persona quiet is the user talking.
    assert kinds(run(taker, [(0.2, 0.6)])) == ["SpeechStarted"]


def test_short_bursts_of_echo_do_not_interrupt() -> None:
    taker = TurnTaker()
    script = [(0.032, 0.95), (0.064, 0.1)] * 10  # 32 ms blips, under the 64 ms needed
    assert not [e for _, e in run(taker, script, speaking=True) if isinstance(e, BargeIn)]


def test_reset_forgets_half_heard_speech() -> None:
    taker = TurnTaker()
    run(taker, [(0.3, 0.9)])
    taker.reset()
    events = run(taker, [(0.5, 0.0)])
    assert not [e for _, e in events if isinstance(e, TurnEnded)]
    assert isinstance(run(taker, [(0.1, 0.9)])[0][1], SpeechStarted)
