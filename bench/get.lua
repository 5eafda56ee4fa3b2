-- bench/get.lua — GET /orders/{id}, cycling through the ids in the file
-- $BENCH_IDS (one a line), each thread starting at another offset.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")

local threads = 0
function setup(thread)
   threads = threads + 1
   thread:set("tid", threads)
end

local ids = {}
local i = 0
local headers = { ["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY") }

function init(args)
   for line in io.lines(os.getenv("BENCH_IDS")) do
      ids[#ids + 1] = line
   end
   assert(#ids > 0, "no ids in " .. os.getenv("BENCH_IDS"))
   i = (tid * 7919) % #ids
end

function request()
   i = i % #ids + 1
   return wrk.format("GET", "/orders/" .. ids[i], headers)
end
