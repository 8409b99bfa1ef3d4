"""The memoria técnica a difusor hands in after the night (docs/memoria.md): the same journal, logs and
options give the same bytes.

  build        Options -> Result: the steps, from the logs to HTML, PDF, bundle and datos.json
  logs         which access logs (globs, or the config's log and its rotations) and their names in the bundle
  data         what the memoria says as plain data: registration, period, cuts, incidents
  definitions  the figures' definitions in Spanish
  bundle       the period's logs as one deterministic tar.gz with SHA256SUMS
  charts       small deterministic SVG charts
  fmt          es-MX numbers, times and durations
  render       the HTML (Jinja2) and the PDF (WeasyPrint, optional)
"""
