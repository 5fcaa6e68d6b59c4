; Imports for Go: each import spec names a package path.
(import_spec name: (_)? @import.name path: (interpreted_string_literal (interpreted_string_literal_content) @import.path)) @import
