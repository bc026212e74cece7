"""Voice: audio devices, text to speech, and (later) VAD, ASR and echo cancellation."""
