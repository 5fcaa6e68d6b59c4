(declaration_list) @scope
(method_declaration) @scope
(constructor_declaration) @scope
(lambda_expression) @scope
(block) @scope
