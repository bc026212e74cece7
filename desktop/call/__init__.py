"""The call: a Conversation facade over stages joined by typed frames (brain, speech, playback),
the duties every reply keeps, hands-free listening and turn-taking, and the face loop on the
speaker's clock (docs/architecture.md, docs/calls.md)."""
