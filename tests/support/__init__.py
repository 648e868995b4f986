"""What several test modules share, imported as plain modules (test modules never import each other).

- ``db``: a fresh PostgreSQL database, reading rows back (the ``db_url``, ``engine`` and
  ``pg_url`` fixtures in tests/conftest.py are built on it);
- ``pipeline``: the bot against the private Dovecot and SMTP server: config, CLI, mail, looking;
- ``waiting``: ``wait_for`` a condition, failing with the logs;
- ``terminal``: ``hmisbot`` in a subprocess, with or without a terminal for its progress bars.

``moved_clock/`` is not a module: it is put on PYTHONPATH for the moved-clock runs.
"""
