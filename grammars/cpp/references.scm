(identifier) @reference
(type_identifier) @reference
(field_identifier) @reference
(namespace_identifier) @reference
