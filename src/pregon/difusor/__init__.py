"""The difusor's receiver: packages in, one atomic publication out, nothing lost (docs/difusor-operations.md).

Modules, in the order a package meets them:
  config       difusor.toml -> Config (where things are, whom it trusts, the window, what runs after a swap)
  setup        `pregon difusor init --perfil`: difusor.toml, web server config, nftables, NTP/syslog checks
  inbox        when an upload is complete (quiet period, markers), waiting without busy polling
  pull         pull mode: the institute's signed index polled, new packages fed to the inbox
  archive      the upload moved into the archive, never overwritten nor lost
  pipeline     Receiver: archive -> verify -> stage -> activate -> record, with an injected clock
  verdicts     `<package>.verdict.json` beside each archived package; held packages and their embargo
  window       the publication window and the clock's health
  publication  which release `current` points at; the operator's hook after a swap
  layout       the paths on disk and the pages the receiver writes itself (placeholder, notice, closing)
  health       incidents and periodic checks (stale manifest, clock, disk)
  status       status.json for the operator and the institute's monitor
  journal      the journal (JSON lines, fsynced, copied to syslog)
  agent        `pregon difusor run`: the long-running loop around Receiver
"""
