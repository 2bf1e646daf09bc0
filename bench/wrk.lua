-- wrk script: POSTs the JSON bodies of a file (one per line), counts answers that are not a
-- clean 200 (HTTP error or a GraphQL "errors" member), and prints the figures as one JSON
-- line at the end for bench/load.py to read.
--   wrk -tT ... -s wrk.lua URL -- BODIES_FILE START T ["Header: value" ...]
--
-- Thread t of T sends bodies START + t - 1, START + t - 1 + T, ... (a slice of its own, so
-- no two threads send the same body). `rounds` is how many each thread sent at most: the
-- next run starts at START + rounds * T and sends no body this one sent (until the file
-- is used up; the harness reports how many requests re-sent a body).

local bodies = {}
local start = 0
local stride = 1
sent = 0
errors = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then table.insert(bodies, line) end
  end
  stride = tonumber(args[3] or "1")
  start = tonumber(args[2] or "0") + (thread_number or 1) - 1
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  for i = 4, #args do
    local name, value = string.match(args[i], "^([^:]+):%s*(.*)$")
    if name then wrk.headers[name] = value end
  end
end

function request()
  local index = start + sent * stride
  sent = sent + 1
  return wrk.format(nil, nil, nil, bodies[(index % #bodies) + 1])
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local answered_badly = 0
  local rounds = 0
  for _, thread in ipairs(threads) do
    answered_badly = answered_badly + (thread:get("errors") or 0)
    rounds = math.max(rounds, thread:get("sent") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"bad_answers": %d, "socket_errors": %d, "rounds": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    answered_badly, e.connect + e.read + e.write + e.timeout, rounds))
end
