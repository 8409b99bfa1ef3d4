"""Serving a difusor's `current` (docs/difusor-operations.md): what every server says about each file, and the
servers themselves.

  policy     cache and security headers per kind of file, shared by every server below
  limits     what one client may hold of a worker (header, idle and send timeouts, connections per client)
  embedded   `pregon difusor serve`: a small static server, zero setup
  webconfig  nginx, Apache, Caddy and IIS configurations with the same policy and absolute paths
"""
