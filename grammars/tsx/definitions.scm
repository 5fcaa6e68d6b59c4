; Definitions for TSX (TypeScript with JSX) (capture convention: see infill-context crate docs).
(class_declaration
  name: (type_identifier) @name
  (class_heritage [(extends_clause value: (_) @extends) (implements_clause (_) @extends)])?
  body: (_) @body) @definition.class
(abstract_class_declaration
  name: (type_identifier) @name
  (class_heritage [(extends_clause value: (_) @extends) (implements_clause (_) @extends)])?
  body: (_) @body) @definition.class
(interface_declaration
  name: (type_identifier) @name
  (extends_type_clause (_) @extends)?
  body: (_) @body) @definition.type
(type_alias_declaration name: (type_identifier) @name) @definition.type
(enum_declaration name: (identifier) @name body: (_) @body) @definition.type
(internal_module name: (_) @name body: (_) @body) @definition.module
(method_definition name: (property_identifier) @name body: (_) @body) @definition.method
(method_signature name: (property_identifier) @name) @definition.method
(abstract_method_signature name: (property_identifier) @name) @definition.method
(function_signature name: (identifier) @name) @definition.function
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
    value: [(string) (number) (object) (array) (template_string) (new_expression) (call_expression) (as_expression)])) @definition.constant)
(program (export_statement declaration: (lexical_declaration
  (variable_declarator
    name: (identifier) @name
    value: [(string) (number) (object) (array) (template_string) (new_expression) (call_expression) (as_expression)])) @definition.constant))
