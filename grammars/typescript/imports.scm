; inherits: javascript
; Imports for TypeScript: JavaScript's (above), plus `import x = require()`.
(import_require_clause source: (string (string_fragment) @import.path)) @import
