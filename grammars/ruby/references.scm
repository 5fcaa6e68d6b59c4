(identifier) @reference
(constant) @reference
