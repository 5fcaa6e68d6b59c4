; Security patterns for Go. Conventions: docs/security.md.

; ---------------------------------------------------------------- scopes and assignments
(function_declaration) @scope
(method_declaration) @scope
(func_literal) @scope

(short_var_declaration left: (_) @assign.name right: (_) @assign.value)
(assignment_statement left: (_) @assign.name right: (_) @assign.value)
(var_spec name: (_) @assign.name value: (_) @assign.value)

; ---------------------------------------------------------------- kinds
; Text built from values: concatenation and fmt.Sprintf.
((binary_expression
   left: [(interpreted_string_literal) (raw_string_literal)]
   operator: "+"
   right: [(identifier) (selector_expression) (call_expression) (index_expression)]) @match
  (#set! kind "dynamic-string"))
((binary_expression
   left: [(identifier) (selector_expression) (call_expression) (index_expression)]
   operator: "+"
   right: [(interpreted_string_literal) (raw_string_literal)]) @match
  (#set! kind "dynamic-string"))
((call_expression
   function: (selector_expression operand: (identifier) @_package field: (field_identifier) @_function)
   arguments: (argument_list (_) (_))) @match
  (#eq? @_package "fmt")
  (#eq? @_function "Sprintf")
  (#set! kind "dynamic-string"))

; Values a web request carries (net/http, gorilla/mux, gin, echo).
((selector_expression operand: (identifier) @_request field: (field_identifier) @_part) @match
  (#any-of? @_request "r" "req" "request" "httpReq")
  (#any-of? @_part "URL" "Form" "PostForm" "Header" "Body" "FormValue" "PostFormValue" "PathValue"
    "MultipartForm" "FormFile" "Cookie" "RequestURI")
  (#set! kind "request-input"))
((selector_expression operand: (identifier) @_context field: (field_identifier) @_part) @match
  (#any-of? @_context "c" "ctx" "context")
  (#any-of? @_part "Query" "Param" "PostForm" "DefaultQuery" "GetQuery" "FormValue" "QueryParam" "GetHeader")
  (#set! kind "request-input"))
((call_expression function: (selector_expression operand: (identifier) @_package field: (field_identifier) @_function)) @match
  (#eq? @_package "mux")
  (#eq? @_function "Vars")
  (#set! kind "request-input"))

; Reducing a path to a file name; encoding a value into one URL component.
((call_expression function: (selector_expression operand: (identifier) @_package field: (field_identifier) @_function)) @match
  (#any-of? @_package "filepath" "path")
  (#eq? @_function "Base")
  (#set! kind "path-sanitizer"))
((call_expression function: (selector_expression operand: (identifier) @_package field: (field_identifier) @_function)) @match
  (#eq? @_package "url")
  (#any-of? @_function "QueryEscape" "PathEscape")
  (#set! kind "url-encoded"))

; A name that holds a password.
([(identifier) (field_identifier)] @match
  (#match? @match "(?i)(passw(or)?d|pwd|passphrase)")
  (#set! kind "password-value"))

; ---------------------------------------------------------------- sql-injection
((call_expression
   function: (selector_expression field: (field_identifier) @_method)
   arguments: (argument_list . (_) @arg)) @finding
  (#any-of? @_method "Query" "QueryRow" "Exec" "Prepare" "Queryx" "QueryRowx" "MustExec" "Raw")
  (#set! rule "sql-injection")
  (#set! requires "dynamic-string")
  (#set! fix "Use placeholders and pass the values as arguments: db.Query(\"... WHERE id = $1\", id)."))
((call_expression
   function: (selector_expression field: (field_identifier) @_method)
   arguments: (argument_list . (_) . (_) @arg)) @finding
  (#any-of? @_method "QueryContext" "QueryRowContext" "ExecContext" "PrepareContext" "QueryxContext")
  (#set! rule "sql-injection")
  (#set! requires "dynamic-string")
  (#set! fix "Use placeholders and pass the values as arguments: db.QueryContext(ctx, \"... WHERE id = $1\", id)."))

; ---------------------------------------------------------------- command-injection
((call_expression
   function: (selector_expression operand: (identifier) @_package field: (field_identifier) @_function)
   arguments: (argument_list . (interpreted_string_literal) @_shell . (interpreted_string_literal) @_flag . (_) @arg)) @finding
  (#eq? @_package "exec")
  (#any-of? @_function "Command" "CommandContext")
  (#match? @_shell "^\"(/bin/|/usr/bin/)?(sh|bash|zsh|ksh|cmd|cmd.exe|powershell)\"$")
  (#match? @_flag "^\"(-c|/c|/C|-Command)\"$")
  (#not-match? @arg "^(\"[^\"]*\"|`[^`]*`)$")
  (#set! rule "command-injection")
  (#set! fix "Run the program directly with separate arguments: exec.Command(\"ls\", \"-l\", dir)."))
((call_expression
   function: (selector_expression operand: (identifier) @_package field: (field_identifier) @_function)
   arguments: (argument_list . (_) . (interpreted_string_literal) @_shell . (interpreted_string_literal) @_flag . (_) @arg)) @finding
  (#eq? @_package "exec")
  (#eq? @_function "CommandContext")
  (#match? @_shell "^\"(/bin/|/usr/bin/)?(sh|bash|zsh|ksh|cmd|cmd.exe|powershell)\"$")
  (#match? @_flag "^\"(-c|/c|/C|-Command)\"$")
  (#not-match? @arg "^(\"[^\"]*\"|`[^`]*`)$")
  (#set! rule "command-injection"))

; ---------------------------------------------------------------- hardcoded-credentials
((const_spec name: (identifier) @_name value: (expression_list . (interpreted_string_literal) @_value .)) @finding
  (#match? @_name "(?i)(passw(or)?d|pwd|passphrase|secret|secret_?key|api_?key|access_?key|private_?key|auth_?token|access_?token|client_?secret|token)$")
  (#match? @_value "^\"[^\"'{}%$<>\\s]{4,}\"$")
  (#set! rule "hardcoded-credentials")
  (#set! fix "Read it at run time: os.Getenv(\"DB_PASSWORD\") or a secret store."))
((var_spec name: (identifier) @_name value: (expression_list . (interpreted_string_literal) @_value .)) @finding
  (#match? @_name "(?i)(passw(or)?d|pwd|passphrase|secret|secret_?key|api_?key|access_?key|private_?key|auth_?token|access_?token|client_?secret|token)$")
  (#match? @_value "^\"[^\"'{}%$<>\\s]{4,}\"$")
  (#set! rule "hardcoded-credentials")
  (#set! fix "Read it at run time: os.Getenv(\"DB_PASSWORD\") or a secret store."))
((short_var_declaration left: (expression_list . (identifier) @_name .) right: (expression_list . (interpreted_string_literal) @_value .)) @finding
  (#match? @_name "(?i)(passw(or)?d|pwd|passphrase|secret|secret_?key|api_?key|access_?key|private_?key|auth_?token|access_?token|client_?secret|token)$")
  (#match? @_value "^\"[^\"'{}%$<>\\s]{4,}\"$")
  (#set! rule "hardcoded-credentials")
  (#set! fix "Read it at run time: os.Getenv(\"DB_PASSWORD\") or a secret store."))
((keyed_element key: (literal_element (identifier) @_name) value: (literal_element (interpreted_string_literal) @_value)) @finding
  (#match? @_name "(?i)(passw(or)?d|pwd|passphrase|secret|api_?key|access_?key|private_?key|auth_?token|access_?token|client_?secret)$")
  (#match? @_value "^\"[^\"'{}%$<>\\s]{4,}\"$")
  (#set! rule "hardcoded-credentials"))

; ---------------------------------------------------------------- weak-password-hash
((call_expression function: (selector_expression operand: (identifier) @_package field: (field_identifier) @_function)) @finding
  (#any-of? @_package "md5" "sha1")
  (#any-of? @_function "Sum" "New")
  (#set! rule "weak-password-hash")
  (#set! requires-scope "password-value")
  (#set! fix "Use golang.org/x/crypto/bcrypt or argon2.IDKey with a per-password salt."))

; ---------------------------------------------------------------- insecure-deserialization
; (Go's encoding/gob and encoding/json build no code; nothing to report.)

; ---------------------------------------------------------------- tls-verification-disabled
((keyed_element key: (literal_element (identifier) @_key) value: (literal_element (true))) @finding
  (#eq? @_key "InsecureSkipVerify")
  (#set! rule "tls-verification-disabled")
  (#set! fix "Remove InsecureSkipVerify; trust a private CA through tls.Config.RootCAs."))
((assignment_statement
   left: (expression_list (selector_expression field: (field_identifier) @_key))
   right: (expression_list (true))) @finding
  (#eq? @_key "InsecureSkipVerify")
  (#set! rule "tls-verification-disabled"))

; ---------------------------------------------------------------- path-traversal
((call_expression
   function: (selector_expression operand: (identifier) @_package field: (field_identifier) @_function)
   arguments: (argument_list . (_) @arg)) @finding
  (#any-of? @_package "os" "ioutil")
  (#any-of? @_function "Open" "OpenFile" "Create" "ReadFile" "WriteFile" "Remove" "RemoveAll" "ReadDir" "Mkdir" "MkdirAll")
  (#set! rule "path-traversal")
  (#set! requires "request-input")
  (#set! sanitizer "path-sanitizer")
  (#set! fix "Reduce the input with filepath.Base, or join, clean and check that the result stays under the base directory (or use os.Root)."))
((call_expression
   function: (selector_expression operand: (identifier) @_package field: (field_identifier) @_function)
   arguments: (argument_list . (_) . (_) . (_) @arg)) @finding
  (#eq? @_package "http")
  (#eq? @_function "ServeFile")
  (#set! rule "path-traversal")
  (#set! requires "request-input")
  (#set! sanitizer "path-sanitizer"))

; ---------------------------------------------------------------- ssrf
((call_expression
   function: (selector_expression operand: (identifier) @_package field: (field_identifier) @_function)
   arguments: (argument_list . (_) @arg)) @finding
  (#eq? @_package "http")
  (#any-of? @_function "Get" "Head" "Post" "PostForm")
  (#set! rule "ssrf")
  (#set! requires "request-input")
  (#set! sanitizer "url-encoded")
  (#set! fix "Pick the host from an allow-list; pass request input only as an escaped parameter."))
((call_expression
   function: (selector_expression operand: (identifier) @_package field: (field_identifier) @_function)
   arguments: (argument_list . (_) . (_) @arg)) @finding
  (#eq? @_package "http")
  (#eq? @_function "NewRequest")
  (#set! rule "ssrf")
  (#set! requires "request-input")
  (#set! sanitizer "url-encoded"))
((call_expression
   function: (selector_expression operand: (identifier) @_package field: (field_identifier) @_function)
   arguments: (argument_list . (_) . (_) . (_) @arg)) @finding
  (#eq? @_package "http")
  (#eq? @_function "NewRequestWithContext")
  (#set! rule "ssrf")
  (#set! requires "request-input")
  (#set! sanitizer "url-encoded"))
((call_expression
   function: (selector_expression field: (field_identifier) @_function)
   arguments: (argument_list . (_) @arg)) @finding
  (#any-of? @_function "Get" "Head" "Post")
  (#set! rule "ssrf")
  (#set! requires "request-input")
  (#set! sanitizer "url-encoded"))
