-- wrk script: rotate over a page, main.json and a district page; count non-2xx and bodies that mix cortes.
local paths = {"/", "/json/main.json", "/distrito/00/", "/distrito/03/index.html"}
local i = 0
local threads = {}
non2xx = 0
mixed = 0
total = 0
seen = {}

function setup(thread)
  table.insert(threads, thread)
end

function request()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end

function response(status, headers, body)
  total = total + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    return
  end
  local stamp = string.match(body, 'name="pregon%-corte" content="(%d+)|')
  if stamp then
    local shown = string.match(body, "[Cc]orte (%d+)")
    if shown ~= stamp then mixed = mixed + 1 end
    seen[stamp] = true
  else
    local seq = string.match(body, '"secuencia": (%d+)')
    local actas = string.match(body, '"capturadas": (%d+)')
    if not seq or not actas or tonumber(actas) ~= tonumber(seq) * 10 then mixed = mixed + 1 end
    if seq then seen[seq] = true end
  end
end

function done(summary, latency, requests)
  local n, bad, mix, cortes = 0, 0, 0, 0
  local all = {}
  for _, t in ipairs(threads) do
    n = n + t:get("total")
    bad = bad + t:get("non2xx")
    mix = mix + t:get("mixed")
    for k, _ in pairs(t:get("seen")) do all[k] = true end
  end
  for _ in pairs(all) do cortes = cortes + 1 end
  io.write(string.format("PREGON total=%d non2xx=%d mixed=%d cortes=%d\n", n, bad, mix, cortes))
end
