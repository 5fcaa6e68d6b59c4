(identifier) @reference
(type_identifier) @reference
(field_identifier) @reference
(package_identifier) @reference
