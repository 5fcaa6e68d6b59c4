(method) @scope
(singleton_method) @scope
(class) @scope
(module) @scope
(block) @scope
(do_block) @scope
(lambda) @scope
