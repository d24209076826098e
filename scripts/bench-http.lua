-- wrk driver for scripts/bench-http.sh. Each request is a random line of the paths file
-- PATHS (the popular searches, which repeat); with TAIL set, a request is instead the next
-- unused line of TAIL (rare searches, never repeated) with probability 1 - REPEAT. The end
-- summary is printed as one JSON line.
local paths, tail = {}, {}
local repeat_share = tonumber(os.getenv("REPEAT") or "1")
local next_id, threads = 0, {}
local pos, step = 1, 1
wraps, tail_used = 0, 0

function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  threads[#threads + 1] = thread
end

function init(args)
  for line in io.lines(os.getenv("PATHS")) do
    paths[#paths + 1] = line
  end
  local t = os.getenv("TAIL")
  if t and t ~= "" then
    for line in io.lines(t) do
      tail[#tail + 1] = line
    end
  end
  -- Threads take alternate tail lines (THREADS = wrk's -t), so no two requests share one.
  pos, step = id, tonumber(os.getenv("THREADS") or "2")
  math.randomseed(os.time() + id * 7919 + tonumber(tostring({}):sub(8), 16))
end

function request()
  if #tail > 0 and math.random() >= repeat_share then
    local p = tail[pos]
    pos = pos + step
    tail_used = tail_used + 1
    if pos > #tail then -- wrapped: the tail file was too short for the run
      pos = id
      wraps = wraps + 1
    end
    return wrk.format("GET", p)
  end
  return wrk.format("GET", paths[math.random(#paths)])
end

function done(summary, latency, requests)
  local e = summary.errors
  local w, used = 0, 0
  for _, t in ipairs(threads) do
    w = w + (t:get("wraps") or 0)
    used = used + (t:get("tail_used") or 0)
  end
  io.write(string.format(
    'WRK {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"tail":%d,"wraps":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout, used, w))
end
