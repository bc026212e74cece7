"""The real-time call: typed frames through interruptible stages on one audio clock."""
