(class_body) @scope
(interface_body) @scope
(method_declaration) @scope
(constructor_declaration) @scope
(lambda_expression) @scope
(block) @scope
