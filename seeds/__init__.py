"""Sample landing-zone generator (see ``seeds/README.md``); ``seeds/sample/`` is its committed output."""
