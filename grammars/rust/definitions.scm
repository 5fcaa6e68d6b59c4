; Definitions for Rust. Capture convention (see infill-context crate docs):
;   @definition.<kind> = the whole definition node, @name = its name, optional @body = the part
;   elided in a skeleton, @extends = a base type/trait the definition implements or extends.

(struct_item name: (type_identifier) @name) @definition.class
(enum_item name: (type_identifier) @name) @definition.class
(union_item name: (type_identifier) @name) @definition.class
(trait_item name: (type_identifier) @name body: (_) @body) @definition.type
(type_item name: (type_identifier) @name) @definition.type

; `impl Trait for Type` / `impl Type`: named after the type, the trait is what it extends.
(impl_item
  trait: [(type_identifier) (scoped_type_identifier) (generic_type)] @extends
  type: [(type_identifier) @name
         (generic_type type: (type_identifier) @name)
         (scoped_type_identifier name: (type_identifier) @name)]
  body: (_) @body) @definition.impl
(impl_item
  !trait
  type: [(type_identifier) @name
         (generic_type type: (type_identifier) @name)
         (scoped_type_identifier name: (type_identifier) @name)]
  body: (_) @body) @definition.impl

(declaration_list (function_item name: (identifier) @name body: (_) @body) @definition.method)
(declaration_list (function_signature_item name: (identifier) @name) @definition.method)
(function_item name: (identifier) @name body: (_) @body) @definition.function
(function_signature_item name: (identifier) @name) @definition.function

(const_item name: (identifier) @name) @definition.constant
(static_item name: (identifier) @name) @definition.constant
(mod_item name: (identifier) @name body: (_) @body) @definition.module
(macro_definition name: (identifier) @name) @definition.macro
(enum_variant name: (identifier) @name) @definition.constant
