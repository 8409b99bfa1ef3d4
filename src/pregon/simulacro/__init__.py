"""Drills (simulacros): a whole election night on this machine, on an accelerated clock.

`pregon simulacro` generates a synthetic election, starts the institute (cuts every 15 simulated minutes,
site, signed packages, pull index, push over real SFTP/rsync), N difusores (receiver + web server each, on
loopback), the compliance monitor and its dashboard; shows each cut and every difusor's lag in real seconds;
injects faults (a difusor down, a package tampered on the wire, a slow link); and at the end writes every
difusor's memoria técnica and a summary. docs/simulacro.md is the guide.

Modules:
  plan     Plan / DifusorPlan: the layout and the instituto.toml / difusor.toml files, written for real
  clock    DrillClock: simulated time shared by every process of the drill (origin + speed)
  sshd     Sshd: a private OpenSSH server on a loopback high port (also used by tests and benches)
  faults   --fault parsing and the per-link fault state
  child    `python -m pregon.simulacro.child run|serve`: receiver / web server on the drill clock
  run      Simulacro(plan).run(): start, watch, inject, stop, memorias, summary
"""
