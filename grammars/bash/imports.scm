; Imports for Bash: `source file` and `. file`.
(command
  name: (command_name (word) @_c (#any-of? @_c "source" "."))
  argument: [(word) (string (string_content)) (raw_string)] @import.path) @import
