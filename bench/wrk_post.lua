-- One point per request, a few metrics, values around 100; ts omitted (the server's now).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"metric":"bench%d","value":%f}', counter % 4, 100 + math.random() * 10)
  return wrk.format(nil, "/metrics", nil, body)
end
