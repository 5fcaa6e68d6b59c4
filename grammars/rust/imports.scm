; Imports for Rust: `use` trees (the strategy "rust-mod" splits the tree text) and `mod x;`
; declarations of modules whose body lives in another file (@import.submodule).
(use_declaration argument: (_) @import.path) @import
(mod_item !body name: (identifier) @import.submodule) @import
(extern_crate_declaration name: (identifier) @import.path) @import
