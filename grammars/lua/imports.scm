; Imports for Lua: `require("a.b")` and `require "a.b"`.
(function_call
  name: (identifier) @_r (#eq? @_r "require")
  arguments: [(arguments . (string content: (string_content) @import.path))
              (string content: (string_content) @import.path)]) @import
