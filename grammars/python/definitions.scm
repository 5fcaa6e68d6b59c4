; Definitions for Python (capture convention: see infill-context crate docs).
(class_definition
  name: (identifier) @name
  superclasses: (argument_list [(identifier) (attribute)] @extends)?
  body: (_) @body) @definition.class
(class_definition body: (block [(function_definition name: (identifier) @name body: (_) @body) @definition.method
                                 (decorated_definition definition: (function_definition name: (identifier) @name body: (_) @body) @definition.method)]))
(function_definition name: (identifier) @name body: (_) @body) @definition.function
(module (expression_statement (assignment left: (identifier) @name) @definition.constant))
