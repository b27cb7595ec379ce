"""Wiredesk: one clean, attributed extractive brief per news story."""
