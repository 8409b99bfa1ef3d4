"""Drills (simulacros): a whole election night on this machine, on an accelerated clock.

`pregon simulacro` generates a synthetic election, starts the institute (cuts every 15 simulated minutes,
site, signed packages, pull index, push over real SFTP/rsync), N difusores (receiver + web server each, on
loopback), the compliance monitor and its dashboard; shows each cut and every difusor's lag in real seconds;
injects faults (a difusor down, a package tampered on the wire, a slow link); and at the end writes every
difusor's memoria técnica and a summary. docs/simulacro.md is the guide.

Modules (the drill's clock is pregon.times.AcceleratedClock: one origin and speed for every process):
  plan              Plan / DifusorPlan: the layout and the instituto.toml / difusor.toml files, written for real
  sshd              Sshd: a private OpenSSH server on a loopback high port (also used by tests and benches)
  faults            --fault parsing, the per-link fault state, and the push link that applies it
  children          Child: a child process of the drill, stopped by its pid
  child             `python -m pregon.simulacro.child run|serve`: receiver / web server on the drill clock
  webservers        the real Apache or nginx a call names, as a difusor's web server
  institute_server  the institute's web server of the drill (official site, pull credentials, /monitor/)
  prep_system       the institute's own PREP system dropping cortes (--source database|site)
  progress          the night as the display sees it: cuts, journals, one line per cut, lags
  display           what the operator is told before and after the night
  memorias          each difusor's memoria técnica at the end
  summary           resumen.json and resumen.txt
  facts, checklist  what the drill saw, judged against the call's rules (--perfil)
  run               Simulacro(plan).run(): start, watch, inject, stop, memorias, summary
"""
