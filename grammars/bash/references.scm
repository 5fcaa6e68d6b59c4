(command_name (word) @reference)
(variable_name) @reference
