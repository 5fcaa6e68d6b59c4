; Definitions for Lua (capture convention: see infill-context crate docs).
(function_declaration name: (method_index_expression method: (identifier) @name) body: (_)? @body) @definition.method
(function_declaration name: (dot_index_expression field: (identifier) @name) body: (_)? @body) @definition.method
(function_declaration name: (identifier) @name body: (_)? @body) @definition.function
(assignment_statement
  (variable_list . name: [(identifier) @name (dot_index_expression field: (identifier) @name)])
  (expression_list . value: (function_definition body: (_)? @body))) @definition.function
(table_constructor (field name: (identifier) @name value: (function_definition body: (_)? @body)) @definition.function)
(chunk (variable_declaration (assignment_statement
  (variable_list . name: (identifier) @name)
  (expression_list . value: (table_constructor)))) @definition.class)
