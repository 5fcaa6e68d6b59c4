(function_definition) @scope
(compound_statement) @scope
(struct_specifier) @scope
