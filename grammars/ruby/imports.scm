; Imports for Ruby: `require "a/b"`, `require_relative "b"` and `load "x.rb"`.
(call
  method: (identifier) @_m (#any-of? @_m "require" "require_relative" "load" "autoload")
  arguments: (argument_list (string (string_content) @import.path))) @import
