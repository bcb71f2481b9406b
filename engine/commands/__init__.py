"""Command-line commands that take more than a few lines of ``engine/cli.py`` (which parses
every command and calls these): the province's records and documents (``province``), the
daily digest by e-mail (``notify``)."""
