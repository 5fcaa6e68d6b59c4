-- Sample for the parse benchmark; _N_ is replaced by a counter when repeated.
-- BENCH-REPEAT
local SettingsCache_N_ = {}
SettingsCache_N_.__index = SettingsCache_N_

--[[ A cache of parsed settings, keyed by name. ]]
function SettingsCache_N_.new(name)
  return setmetatable({ name = name or "default", entries = {}, hits = 0, misses = 0 }, SettingsCache_N_)
end

function SettingsCache_N_:load(text)
  local loaded = 0
  local number = 0
  for raw in (text .. "\n"):gmatch("(.-)\n") do
    number = number + 1
    local line = raw:match("^%s*(.-)%s*$")
    if line ~= "" and line:sub(1, 1) ~= "#" then
      local key, value = line:match("^([^=]-)%s*=%s*(.*)$")
      if not key then
        error(string.format("line %d: expected 'key = value'", number))
      end
      self.entries[key] = tonumber(value) or value
      loaded = loaded + 1
    end
  end
  return loaded
end

function SettingsCache_N_:get(key)
  local value = self.entries[key]
  if value == nil then self.misses = self.misses + 1 else self.hits = self.hits + 1 end
  return value
end
