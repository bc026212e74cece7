"""Voice: audio devices with their ring buffers, piper TTS, Silero VAD, SenseVoice recognition,
WebRTC echo cancellation, the sound server's device list, and the protocols the call uses."""
