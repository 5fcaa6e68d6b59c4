; Definitions for C++ (capture convention: see infill-context crate docs).
(field_declaration_list (function_definition declarator: (function_declarator declarator: [(field_identifier) (identifier) (destructor_name) (operator_name)] @name) body: (_) @body) @definition.method)
(field_declaration_list (declaration declarator: (function_declarator declarator: [(field_identifier) (identifier)] @name)) @definition.method)
(field_declaration_list (field_declaration declarator: (function_declarator declarator: [(field_identifier) (identifier)] @name)) @definition.method)
(function_definition declarator: (function_declarator declarator: (qualified_identifier name: (_) @name)) body: (_) @body) @definition.method
(function_definition declarator: (function_declarator declarator: (identifier) @name) body: (_) @body) @definition.function
(function_definition declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)) body: (_) @body) @definition.function
(function_definition declarator: (reference_declarator (function_declarator declarator: (identifier) @name)) body: (_) @body) @definition.function
(translation_unit (declaration declarator: (function_declarator declarator: (identifier) @name)) @definition.function)
(class_specifier
  name: [(type_identifier) @name (qualified_identifier name: (type_identifier) @name)]
  (base_class_clause [(type_identifier) (qualified_identifier) (template_type)] @extends)?
  body: (_) @body) @definition.class
(struct_specifier
  name: [(type_identifier) @name (qualified_identifier name: (type_identifier) @name)]
  (base_class_clause [(type_identifier) (qualified_identifier) (template_type)] @extends)?
  body: (_) @body) @definition.class
(union_specifier name: (type_identifier) @name body: (_) @body) @definition.class
(enum_specifier name: (type_identifier) @name body: (_) @body) @definition.type
(type_definition declarator: (type_identifier) @name) @definition.type
(alias_declaration name: (type_identifier) @name) @definition.type
(namespace_definition name: (namespace_identifier) @name body: (_) @body) @definition.module
(preproc_def name: (identifier) @name) @definition.constant
(preproc_function_def name: (identifier) @name) @definition.macro
(enumerator name: (identifier) @name) @definition.constant
