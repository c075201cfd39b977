"""Incrementality: the marketing-mix model and the response curves it yields."""
