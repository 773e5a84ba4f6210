-- wrk script: POSTs pre-built, pre-signed requests from the file in $LIVEHOOK_BENCH_REQUESTS,
-- one per line as `path<TAB>header:value|header:value<TAB>body`, cycling through them.
-- Each wrk thread starts at a different offset so threads do not send the same request together.
local requests = {}
local counter = 0

function init(args)
  local file = assert(io.open(os.getenv("LIVEHOOK_BENCH_REQUESTS"), "r"))
  for line in file:lines() do
    local path, headers, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    local h = { ["Content-Type"] = "application/json" }
    for pair in headers:gmatch("[^|]+") do
      local k, v = pair:match("^([^:]+):(.*)$")
      h[k] = v
    end
    requests[#requests + 1] = wrk.format("POST", path, h, body)
  end
  file:close()
  counter = (id or 0) * 7919
end

local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end
