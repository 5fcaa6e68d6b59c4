; Security patterns for Rust. Conventions: docs/security.md.

; ---------------------------------------------------------------- scopes and assignments
(function_item) @scope
(closure_expression) @scope

(let_declaration pattern: (_) @assign.name value: (_) @assign.value)
(assignment_expression left: (_) @assign.name right: (_) @assign.value)
(compound_assignment_expr left: (_) @assign.name right: (_) @assign.value)

; ---------------------------------------------------------------- kinds
; Text built from values: format! with arguments or inline names, and `+` on a string.
((macro_invocation macro: (identifier) @_macro (token_tree) @_arguments) @match
  (#eq? @_macro "format")
  (#match? @_arguments "(,|\\{[A-Za-z_])")
  (#set! kind "dynamic-string"))
((binary_expression left: (_) @_left operator: "+" right: (_)) @match
  (#match? @_left "\"")
  (#set! kind "dynamic-string"))

; A name that holds a password.
([(identifier) (field_identifier)] @match
  (#match? @match "(?i)(passw(or)?d|pwd|passphrase)")
  (#set! kind "password-value"))

; ---------------------------------------------------------------- sql-injection
((call_expression
   function: (field_expression field: (field_identifier) @_method)
   arguments: (arguments . (_) @arg)) @finding
  (#any-of? @_method "execute" "execute_batch" "batch_execute" "query" "query_row" "query_map"
    "query_one" "query_opt" "prepare" "prepare_cached" "simple_query" "execute_unprepared")
  (#set! rule "sql-injection")
  (#set! requires "dynamic-string")
  (#set! fix "Bind the values: conn.execute(\"... WHERE id = ?1\", params![id]), or sqlx::query(\"... $1\").bind(id)."))
((call_expression
   function: [(identifier) @_function (scoped_identifier name: (identifier) @_function)]
   arguments: (arguments . (_) @arg)) @finding
  (#any-of? @_function "query" "query_as" "query_scalar" "sql_query" "raw_sql")
  (#set! rule "sql-injection")
  (#set! requires "dynamic-string")
  (#set! fix "Bind the values: sqlx::query(\"... WHERE id = $1\").bind(id)."))

; ---------------------------------------------------------------- command-injection
((call_expression
   function: (field_expression
     value: (call_expression
       function: (field_expression
         value: (call_expression
           function: (scoped_identifier path: (identifier) @_type name: (identifier) @_new)
           arguments: (arguments . (string_literal) @_shell))
         field: (field_identifier) @_first)
       arguments: (arguments . (string_literal) @_flag))
     field: (field_identifier) @_second)
   arguments: (arguments . (_) @arg)) @finding
  (#eq? @_type "Command")
  (#eq? @_new "new")
  (#match? @_shell "^\"(/bin/|/usr/bin/)?(sh|bash|zsh|cmd|cmd.exe|powershell)\"$")
  (#eq? @_first "arg")
  (#match? @_flag "^\"(-c|/C|/c)\"$")
  (#eq? @_second "arg")
  (#not-match? @arg "^\"[^\"]*\"$")
  (#set! rule "command-injection")
  (#set! fix "Run the program directly: Command::new(\"ls\").arg(\"-l\").arg(dir), without a shell."))
((call_expression
   function: (field_expression
     value: (call_expression
       function: (scoped_identifier path: (identifier) @_type name: (identifier) @_new)
       arguments: (arguments . (string_literal) @_shell))
     field: (field_identifier) @_args)
   arguments: (arguments . [(array_expression . (string_literal) @_flag . (_) @arg) (reference_expression value: (array_expression . (string_literal) @_flag . (_) @arg))])) @finding
  (#eq? @_type "Command")
  (#eq? @_new "new")
  (#match? @_shell "^\"(/bin/|/usr/bin/)?(sh|bash|zsh|cmd|cmd.exe|powershell)\"$")
  (#eq? @_args "args")
  (#match? @_flag "^\"(-c|/C|/c)\"$")
  (#not-match? @arg "^\"[^\"]*\"$")
  (#set! rule "command-injection")
  (#set! fix "Run the program directly: Command::new(\"ls\").arg(\"-l\").arg(dir), without a shell."))

; ---------------------------------------------------------------- hardcoded-credentials
([(const_item name: (identifier) @_name value: (_) @_value)
  (static_item name: (identifier) @_name value: (_) @_value)
  (let_declaration pattern: (identifier) @_name value: (_) @_value)
  (field_initializer field: (field_identifier) @_name value: (_) @_value)] @finding
  (#match? @_name "(?i)(passw(or)?d|pwd|passphrase|secret|secret_?key|api_?key|access_?key|private_?key|auth_?token|access_?token|client_?secret|token)$")
  (#match? @_value "^\"[^\"'{}%$<>\\s]{4,}\"(\\.(to_string|to_owned|into)\\(\\))?$")
  (#set! rule "hardcoded-credentials")
  (#set! fix "Read it at run time: std::env::var(\"DB_PASSWORD\") or a secret store."))

; ---------------------------------------------------------------- weak-password-hash
((call_expression function: (scoped_identifier path: (_) @_type name: (identifier) @_function)) @finding
  (#match? @_type "(^|::)(md5|Md5|md5_rs|sha1|Sha1|sha1_smol)$")
  (#any-of? @_function "compute" "new" "digest" "hash" "from" "chain_update")
  (#set! rule "weak-password-hash")
  (#set! requires-scope "password-value")
  (#set! fix "Use the argon2, scrypt or bcrypt crate with a per-password salt."))

; ---------------------------------------------------------------- tls-verification-disabled
((call_expression
   function: (field_expression field: (field_identifier) @_method)
   arguments: (arguments . (boolean_literal) @_value .)) @finding
  (#any-of? @_method "danger_accept_invalid_certs" "danger_accept_invalid_hostnames" "accept_invalid_certs"
    "accept_invalid_hostnames")
  (#eq? @_value "true")
  (#set! rule "tls-verification-disabled")
  (#set! fix "Keep verification on; add a private CA with add_root_certificate."))
((scoped_identifier path: (identifier) @_type name: (identifier) @_value) @finding
  (#eq? @_type "SslVerifyMode")
  (#eq? @_value "NONE")
  (#set! rule "tls-verification-disabled"))
