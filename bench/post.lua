-- bench/post.lua — POST /orders as the customer $BENCH_KEY belongs to
-- ($BENCH_CUSTOMER), every body distinct (the thread and a counter are in
-- the item's ids), no Prefer: 202 once the broker confirmed the command.
-- $BENCH_DELAY_MS (optional): pause per connection between requests, for
-- an offered load below saturation (bench/flow).
dofile(os.getenv("BENCH_DIR") .. "/report.lua")

local threads = 0
function setup(thread)
   threads = threads + 1
   thread:set("tid", threads)
end

local n = 0
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "")
local headers = {
   ["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY"),
   ["Content-Type"] = "application/json",
}
local customer = os.getenv("BENCH_CUSTOMER") or "cus_demo"

function request()
   n = n + 1
   local body = string.format(
      '{"customerId":"%s","paymentMethodId":"pm_1","items":' ..
      '[{"productId":"p%d-%d","variantId":"v1","quantity":%d}]}',
      customer, tid, n, n % 9 + 1)
   return wrk.format("POST", "/orders", headers, body)
end

if delay_ms then
   function delay()
      return delay_ms
   end
end
