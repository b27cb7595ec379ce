"""Adapters: the real implementations of the ports, and their in-memory fakes."""
