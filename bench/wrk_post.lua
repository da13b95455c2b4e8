-- One point per request over BENCH_METRICS metrics (4 unless set), values around 100; ts omitted
-- (the server's now).
local metrics = tonumber(os.getenv("BENCH_METRICS") or "4")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"metric":"bench%d","value":%f}', counter % metrics, 100 + math.random() * 10)
  return wrk.format(nil, "/metrics", nil, body)
end
