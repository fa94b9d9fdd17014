"""Search backends: each indexes and searches behind the one engine interface."""
