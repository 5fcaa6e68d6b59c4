; Imports for Python: `import a.b`, `import a.b as c`, `from a.b import c`, `from . import c`.
(import_statement name: (dotted_name) @import.path) @import
(import_statement name: (aliased_import name: (dotted_name) @import.path)) @import
(import_from_statement
  module_name: [(dotted_name) (relative_import)] @import.path
  name: [(dotted_name) @import.name (aliased_import name: (dotted_name) @import.name)]) @import
(import_from_statement
  module_name: [(dotted_name) (relative_import)] @import.path
  (wildcard_import)) @import
