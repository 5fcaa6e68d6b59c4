; inherits: c
; Security patterns for C++ after C's. Conventions: docs/security.md.

(lambda_expression) @scope

; Text built from values: `+` on a string literal (unless the value is quoted for SQL, as
; libpqxx's quote() and esc() do), std::format.
((binary_expression
   left: (string_literal)
   operator: "+"
   right: [(identifier) (field_expression) (call_expression) (subscript_expression) (qualified_identifier)] @_right) @match
  (#not-match? @_right "\\.(quote|esc|quote_name)\\(")
  (#set! kind "dynamic-string"))
((binary_expression
   left: [(identifier) (field_expression) (call_expression) (subscript_expression) (binary_expression)]
   operator: "+"
   right: (string_literal)) @match
  (#set! kind "dynamic-string"))
((call_expression function: (qualified_identifier) @_function arguments: (argument_list (_) (_))) @match
  (#match? @_function "^(std|fmt)::(format|sprintf)$")
  (#set! kind "dynamic-string"))

; ---------------------------------------------------------------- sql-injection
((call_expression
   function: (field_expression field: (field_identifier) @_method)
   arguments: (argument_list . (_) @arg)) @finding
  (#any-of? @_method "exec" "exec0" "exec1" "exec_params" "query" "query_value" "execute" "executeQuery"
    "executeUpdate" "prepare")
  (#set! rule "sql-injection")
  (#set! requires "dynamic-string")
  (#set! fix "Bind the values: txn.exec_params(\"... WHERE id = $1\", id), or a prepared statement."))

; ---------------------------------------------------------------- unsafe-c-string
((call_expression function: (qualified_identifier) @_function) @finding
  (#match? @_function "^std::(strcpy|strcat|gets|sprintf|vsprintf|wcscpy|wcscat)$")
  (#set! rule "unsafe-c-string")
  (#set! fix "Use std::string, or snprintf/strncpy with the buffer size."))

; ---------------------------------------------------------------- command-injection
((call_expression function: (qualified_identifier) @_function arguments: (argument_list . (_) @arg)) @finding
  (#match? @_function "^std::system$")
  (#not-match? @arg "^\"[^\"]*\"$")
  (#set! rule "command-injection"))
