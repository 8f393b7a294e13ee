-- wrk script: POST /v1/classify with a realistic mix of real log messages.
-- Bodies come from bench/api/make_bodies.py (one JSON body per line), env BODIES overrides the path.
-- Each wrk thread walks the list from a different offset; the summary adds non-2xx counts.
local path = os.getenv("BODIES") or "target/bench-api/bodies.ndjson"
local bodies = {}
for line in io.lines(path) do
  bodies[#bodies + 1] = line
end
if #bodies == 0 then error("no request bodies in " .. path) end

local counter = 0
local threads = {}

function setup(thread)
  thread:set("offset", counter * 7919)
  counter = counter + 1
  table.insert(threads, thread)
end

local i = 0
local non2xx = 0
wrk.method = "POST"
wrk.path = "/v1/classify"
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("LOGSIFT_API_TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end

function init(args)
  i = offset or 0
end

function request()
  i = i + 1
  return wrk.format(nil, nil, nil, bodies[(i % #bodies) + 1])
end

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + (t:get("non2xx") or 0) end
  io.write(string.format("messages in mix: %d\n", #bodies))
  io.write(string.format("requests/s: %.0f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("latency p50: %.3f ms  p90: %.3f ms  p99: %.3f ms  p99.9: %.3f ms  max: %.3f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000))
  io.write(string.format("non-2xx responses: %d, socket errors: connect %d read %d write %d timeout %d\n",
    bad, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
