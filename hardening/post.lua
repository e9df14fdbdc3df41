-- wrk: POST a 1 KiB body, as a normal client of the body scenario would.
wrk.method = "POST"
wrk.body = string.rep("x", 1024)
wrk.headers["Content-Type"] = "text/plain"
