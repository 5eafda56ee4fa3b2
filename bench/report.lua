-- bench/report.lua — loaded by the other wrk scripts (dofile): done()
-- writes one JSON object with the run's figures to $BENCH_OUT.
--   requests, duration_s, rps, p50_ms, p90_ms, p99_ms, max_ms, and errors
--   (connect, read, write, timeout, and status: responses >= 400).
function done(summary, latency, requests)
   local out = assert(io.open(os.getenv("BENCH_OUT"), "w"))
   local e = summary.errors
   local secs = summary.duration / 1e6
   out:write(string.format(
      '{"requests":%d,"duration_s":%.3f,"rps":%.1f,' ..
      '"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d}}\n',
      summary.requests, secs, summary.requests / secs,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000,
      e.connect, e.read, e.write, e.timeout, e.status))
   out:close()
end
