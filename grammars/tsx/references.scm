(identifier) @reference
(type_identifier) @reference
(property_identifier) @reference
(shorthand_property_identifier) @reference
