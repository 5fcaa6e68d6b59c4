; Definitions for JavaScript (capture convention: see infill-context crate docs).
(class_declaration
  name: (identifier) @name
  (class_heritage (_) @extends)?
  body: (_) @body) @definition.class
(class name: (identifier) @name body: (_) @body) @definition.class
(method_definition name: (property_identifier) @name body: (_) @body) @definition.method
[(function_declaration name: (identifier) @name body: (_) @body)
 (generator_function_declaration name: (identifier) @name body: (_) @body)] @definition.function
(lexical_declaration
  (variable_declarator
    name: (identifier) @name
    value: [(arrow_function body: (_) @body) (function_expression body: (_) @body)])) @definition.function
(variable_declaration
  (variable_declarator
    name: (identifier) @name
    value: [(arrow_function body: (_) @body) (function_expression body: (_) @body)])) @definition.function
(program (lexical_declaration
  (variable_declarator
    name: (identifier) @name
    value: [(string) (number) (object) (array) (template_string) (new_expression) (call_expression)])) @definition.constant)
(program (export_statement (lexical_declaration
  (variable_declarator
    name: (identifier) @name
    value: [(string) (number) (object) (array) (template_string) (new_expression) (call_expression)])) @definition.constant))
(assignment_expression
  left: (member_expression property: (property_identifier) @name)
  right: [(arrow_function body: (_) @body) (function_expression body: (_) @body)]) @definition.function
