(function_definition) @scope
(lambda_expression) @scope
(compound_statement) @scope
(class_specifier) @scope
(struct_specifier) @scope
(namespace_definition) @scope
