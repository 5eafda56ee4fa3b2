-- bench/post.lua — POST /orders as the customer $BENCH_KEY belongs to
-- ($BENCH_CUSTOMER), every body distinct (the thread and a counter are in
-- the item's ids), no Prefer: 202 once the broker confirmed the command.
-- $BENCH_DELAY_MS (optional): pause per connection between requests, for
-- an offered load below saturation (bench/flow), with $BENCH_CONNS the
-- connections of wrk's 2 threads (bench_wrk's -t2).
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

-- wrk waits delay() before each request of a connection, its first one
-- included, so with a fixed pause every connection of a thread would send
-- at the same instant, over and over: bursts of $BENCH_CONNS creates, not
-- a rate. The first pause of each connection is therefore staggered across
-- one period (the threads' connections interleaved), and the connections
-- stay spread out after it.
local stagger = math.floor((tonumber(os.getenv("BENCH_CONNS") or "") or 0) / 2)
local first = 0
if delay_ms then
   function delay()
      if first < stagger then
         first = first + 1
         return math.floor(((first - 1) + (tid - 1) / 2) * delay_ms / stagger)
      end
      return delay_ms
   end
end
