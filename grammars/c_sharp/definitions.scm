; Definitions for C# (capture convention: see infill-context crate docs).
(class_declaration name: (identifier) @name (base_list (_) @extends)? body: (_) @body) @definition.class
(struct_declaration name: (identifier) @name (base_list (_) @extends)? body: (_) @body) @definition.class
(record_declaration name: (identifier) @name (base_list (_) @extends)?) @definition.class
(interface_declaration name: (identifier) @name (base_list (_) @extends)? body: (_) @body) @definition.type
(enum_declaration name: (identifier) @name body: (_) @body) @definition.type
(delegate_declaration name: (identifier) @name) @definition.type
(method_declaration name: (identifier) @name body: (_) @body) @definition.method
(method_declaration name: (identifier) @name !body) @definition.method
(constructor_declaration name: (identifier) @name body: (_) @body) @definition.method
(property_declaration name: (identifier) @name) @definition.method
(namespace_declaration name: (_) @name body: (_) @body) @definition.module
(field_declaration (modifier "const") (variable_declaration (variable_declarator name: (identifier) @name))) @definition.constant
