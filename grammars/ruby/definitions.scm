; Definitions for Ruby (capture convention: see infill-context crate docs).
(class name: [(constant) (scope_resolution name: (constant))] @name (superclass (_) @extends)?) @definition.class
(module name: [(constant) (scope_resolution name: (constant))] @name) @definition.module
(class (body_statement [(method name: (_) @name) (singleton_method name: (_) @name)] @definition.method))
(module (body_statement [(method name: (_) @name) (singleton_method name: (_) @name)] @definition.method))
(method name: (_) @name body: (_)? @body) @definition.function
(singleton_method name: (_) @name body: (_)? @body) @definition.function
(assignment left: (constant) @name) @definition.constant
