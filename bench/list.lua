-- bench/list.lua — GET /orders?limit=50 (the newest 50 of the customer
-- $BENCH_KEY belongs to).
dofile(os.getenv("BENCH_DIR") .. "/report.lua")

local headers = { ["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY") }
local req = nil

function request()
   -- Built on first use: wrk sets the Host header after loading the script.
   req = req or wrk.format("GET", "/orders?limit=50", headers)
   return req
end
