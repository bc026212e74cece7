import numpy as np

from desktop.face.idle import IdleMotion
from desktop.face.visemes import VisemeTrack, viseme_for


def test_phoneme_classes() -> None:
    assert viseme_for("a") == "open" and viseme_for("u") == "round"
    assert viseme_for("m") == "closed" and viseme_for(" ") == "rest"


def test_track_follows_timings_on_the_clock_and_rests_in_silence() -> None:
    track = VisemeTrack.from_alignments([("a", 1600), (" ", 1600), ("u", 1600)], 16000, 2.0)
    assert np.allclose(track.sample(0.0), 0.0)  # before the speech
    assert track.sample(2.05)[0] > 0.8  # jaw open on "a"
    assert track.sample(2.25)[2] > 0.8  # rounded on "u"
    assert np.allclose(track.sample(2.5), 0.0)  # after it
    # Co-articulation: the shape starts ramping in before the phoneme.
    assert 0.0 < track.sample(1.98)[0] < track.sample(2.0)[0]


def test_barge_in_cuts_the_rest_of_the_track() -> None:
    track = VisemeTrack.from_alignments([("a", 16000), ("o", 16000)], 16000, 0.0)
    track.drop_after(0.5)
    assert np.allclose(track.sample(1.5), 0.0)


def test_idle_motion_blinks_and_moves_a_little() -> None:
    idle = IdleMotion(seed=1)
    blinks = [idle.blink(t / 100) for t in range(3000)]
    assert max(blinks) > 0.9 and np.mean(blinks) < 0.1
    yaw, pitch, roll = idle.head(3.0)
    assert max(abs(yaw), abs(pitch), abs(roll)) < 0.15
