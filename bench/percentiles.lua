-- wrk reporter: latency percentiles (p50/p95/p99) and the count of non-2xx answers.
--   wrk -t2 -c50 -d15s -s bench/percentiles.lua URL
done = function(summary, latency, requests)
  io.write(string.format("requests %d  errors %d  non-2xx %d\n", summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
  for _, p in ipairs({50, 90, 95, 99}) do
    io.write(string.format("p%d %.2f ms\n", p, latency:percentile(p) / 1000))
  end
end
