"""Latency, accuracy and capacity measurement, and the client that streams audio as a live call."""
