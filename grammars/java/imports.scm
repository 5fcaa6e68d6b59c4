; Imports for Java: `import a.b.C;`, `import a.b.*;`, `import static a.b.C.m;`; the package
; declaration is captured as @package so same-package files can be linked.
(import_declaration (scoped_identifier) @import.path) @import
(package_declaration (scoped_identifier) @package)
(package_declaration (identifier) @package)
