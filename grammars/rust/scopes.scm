(function_item) @scope
(closure_expression) @scope
(impl_item) @scope
(trait_item) @scope
(mod_item) @scope
(block) @scope
