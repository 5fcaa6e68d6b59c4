; Imports for TSX (TypeScript with JSX): ES modules, re-exports, `import x = require()`, require() and import().
(import_statement
  (import_clause [(identifier) @import.name
                  (named_imports (import_specifier name: (identifier) @import.name))
                  (namespace_import)])?
  source: (string (string_fragment) @import.path)) @import
(export_statement source: (string (string_fragment) @import.path)) @import
(import_require_clause source: (string (string_fragment) @import.path)) @import
(call_expression
  function: (identifier) @_f (#eq? @_f "require")
  arguments: (arguments . (string (string_fragment) @import.path))) @import
(call_expression
  function: (import)
  arguments: (arguments . (string (string_fragment) @import.path))) @import
