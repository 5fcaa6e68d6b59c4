(function_declaration) @scope
(generator_function_declaration) @scope
(function_expression) @scope
(arrow_function) @scope
(method_definition) @scope
(class_body) @scope
(interface_body) @scope
(statement_block) @scope
