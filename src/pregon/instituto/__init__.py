"""The institute's side: cuts on a schedule, distribution to difusores, their registry, the compliance monitor.

Modules (each with one job; docs/instituto-operations.md is the operator's guide):
  config       instituto.toml -> Config (load_config, config_from_dict)
  registry     Registry of Difusor records (add, get, all, active, block, unblock), validate, check_logo
  public_list  write_public_list(site, registry): the "Difusores oficiales" page
  packages     PackageRecord, published(work), pending_for(...), make_notice(...), request_full(...)
  push         Pusher(PushConfig, ssh_key, log, ssh_dir).push_all(difusores, records) -> [Delivery]
  pull         publish(pull_dir, records, key=..., ...), verify_index(data, sig, keys), nginx_locations(...)
  blocking     block(cfg, id, reason, now), unblock(cfg, id, now): registry + signed notice + push
  monitor      Monitor(MonitorConfig, registry, clock=, work=).round() -> [Observation]; summarize, to_csv, to_text
  dashboard    write(path, rows, ...): the institute's static dashboard
  scheduler    Clock (SystemClock, AcceleratedClock, ManualClock), Scheduler(cfg, clock).run(max_cuts), cut_instants
  store        JSON lines, atomic JSON, the shared package sequence counter
"""
