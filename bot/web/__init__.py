"""`hmisbot web`: the staff site, server-rendered HTML over the same core as the CLI.

``app`` builds the Starlette application (routes, sessions, security headers),
``auth`` owns who gets in (scrypt password hashes from the config, staff duties,
the trusted proxy's header, CSRF tokens), ``proxy`` which connections come from the
trusted reverse proxy, ``sessions`` the server-side sessions, ``throttle`` the
per-account login limit and the bound on password hashing, ``login`` logging in
and out, ``pages`` and ``timeline`` read the database into page values in a few
queries each, ``views`` renders the pages, ``actions`` handles the forms,
``usecases`` holds the web-only use cases (classify or reject a review item) and
``preview`` renders the pages of archived scans as PNG.
"""
