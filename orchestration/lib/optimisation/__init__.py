"""Budget optimisation over the marketing-mix model's response curves (``lib/incrementality/curves.py``):
scenarios, their posterior evaluation, and scoring against a known truth."""
