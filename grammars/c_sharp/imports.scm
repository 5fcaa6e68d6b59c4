; Imports for C#: `using A.B;` (namespaces); the declared namespaces are captured as @package.
(using_directive [(qualified_name) (identifier)] @import.path) @import
(namespace_declaration name: (_) @package)
(file_scoped_namespace_declaration name: (_) @package)
