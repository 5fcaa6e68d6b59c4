(function_definition) @scope
(class_definition) @scope
(lambda) @scope
(list_comprehension) @scope
(dictionary_comprehension) @scope
(generator_expression) @scope
