(identifier) @reference
(type_identifier) @reference
(field_identifier) @reference
(macro_invocation macro: (identifier) @reference)
