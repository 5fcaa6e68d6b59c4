(function_declaration) @scope
(function_definition) @scope
(do_statement) @scope
(for_statement) @scope
(while_statement) @scope
