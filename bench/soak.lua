-- The soak's load (bench/soak drives wrk with it): on every connection, seven requests in ten are
-- gate checks and three are desk reads.
-- - Gate checks go round the issued emergency passes, out then in for each, so the register
--   grows all along: a pass goes out once and comes back, then its next exit is refused
--   (pass.used) and its next return is a return without an exit. Allowed and refused are both
--   answers (200); anything else is an error.
-- - Desk reads: the pass board, the register's first page, who is out now, the zones, the open
--   exit requests.
-- From the environment: SOAK_TOKENS (a file, one pass token a line), SOAK_GATE_BEARER and
-- SOAK_DESK_BEARER (session tokens of a gate and a staff account).
-- done() prints the figures as "soak.NAME VALUE" lines for bench/soak to read.

local tokens = {}
for line in io.lines(os.getenv("SOAK_TOKENS")) do
  tokens[#tokens + 1] = line
end
local gate_headers = {
  ["Content-Type"] = "application/json",
  ["Authorization"] = "Bearer " .. os.getenv("SOAK_GATE_BEARER"),
}
local desk_headers = { ["Authorization"] = "Bearer " .. os.getenv("SOAK_DESK_BEARER") }
local reads = {
  "/api/v1/pass-board",
  "/api/v1/gate/events?limit=50",
  "/api/v1/gate/events?state=out_now",
  "/api/v1/zones",
  "/api/v1/exit-requests?status=open&limit=50",
}

local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  threads[#threads + 1] = thread
end

local next_pass = 1
local going_in = {} -- per pass: the next check of it is a return
not_ok = 0 -- answers other than 200; a global, read by done() from each thread

function init(args)
  math.randomseed(id * 7919)
  next_pass = math.random(#tokens)
end

function request()
  if math.random(10) <= 7 then
    next_pass = next_pass % #tokens + 1
    local direction = going_in[next_pass] and "in" or "out"
    going_in[next_pass] = not going_in[next_pass]
    return wrk.format("POST", "/api/v1/gate/check", gate_headers,
      '{"token":"' .. tokens[next_pass] .. '","direction":"' .. direction .. '"}')
  end
  return wrk.format("GET", reads[math.random(#reads)], desk_headers)
end

function response(status, headers, body)
  if status ~= 200 then
    not_ok = not_ok + 1
  end
end

function done(summary, latency, requests)
  local answers_not_ok = 0
  for _, thread in ipairs(threads) do
    answers_not_ok = answers_not_ok + thread:get("not_ok")
  end
  local e = summary.errors
  local figures = {
    { "requests", summary.requests },
    { "seconds", summary.duration / 1e6 },
    { "not_ok", answers_not_ok },
    { "socket_errors", e.connect + e.read + e.write },
    { "timeouts", e.timeout },
    { "p50_ms", latency:percentile(50) / 1000 },
    { "p99_ms", latency:percentile(99) / 1000 },
    { "max_ms", latency.max / 1000 },
  }
  for _, f in ipairs(figures) do
    io.write(string.format("soak.%s %s\n", f[1], tostring(f[2])))
  end
end
