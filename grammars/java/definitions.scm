; Definitions for Java (capture convention: see infill-context crate docs).
(class_declaration
  name: (identifier) @name
  (superclass (_) @extends)?
  body: (_) @body) @definition.class
(class_declaration
  name: (identifier) @name
  (super_interfaces (type_list (_) @extends))
  body: (_) @body) @definition.class
(interface_declaration
  name: (identifier) @name
  (extends_interfaces (type_list (_) @extends))?
  body: (_) @body) @definition.type
(enum_declaration name: (identifier) @name body: (_) @body) @definition.type
(record_declaration name: (identifier) @name body: (_) @body) @definition.class
(annotation_type_declaration name: (identifier) @name body: (_) @body) @definition.type
(method_declaration name: (identifier) @name body: (_) @body) @definition.method
(method_declaration name: (identifier) @name !body) @definition.method
(constructor_declaration name: (identifier) @name body: (_) @body) @definition.method
(field_declaration (modifiers "static") (modifiers "final")? declarator: (variable_declarator name: (identifier) @name)) @definition.constant
