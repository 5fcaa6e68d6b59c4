; Security patterns for Ruby. Conventions: docs/security.md.

; ---------------------------------------------------------------- scopes and assignments
(method) @scope
(singleton_method) @scope
(lambda) @scope

(assignment left: (_) @assign.name right: (_) @assign.value)
(operator_assignment left: (_) @assign.name right: (_) @assign.value)

; ---------------------------------------------------------------- kinds
; Text built from values: interpolation, concatenation, format.
((string (interpolation)) @match
  (#set! kind "dynamic-string"))
((binary left: (string) operator: "+" right: [(identifier) (call) (element_reference)]) @match
  (#set! kind "dynamic-string"))
((call method: (identifier) @_method) @match
  (#any-of? @_method "format" "sprintf")
  (#set! kind "dynamic-string"))

; Values a web request carries (Rails, Sinatra).
((identifier) @match
  (#eq? @match "params")
  (#set! kind "request-input"))
((call receiver: (identifier) @_request method: (identifier) @_part) @match
  (#eq? @_request "request")
  (#any-of? @_part "params" "query_string" "body" "headers" "cookies" "url" "path")
  (#set! kind "request-input"))
((call method: (identifier) @_method) @match
  (#any-of? @_method "basename")
  (#set! kind "path-sanitizer"))

; A name that holds a password.
([(identifier) (constant)] @match
  (#match? @match "(?i)(passw(or)?d|pwd|passphrase)")
  (#set! kind "password-value"))

; ---------------------------------------------------------------- sql-injection
((call method: (identifier) @_method arguments: (argument_list . (_) @arg)) @finding
  (#any-of? @_method "where" "find_by_sql" "execute" "exec_query" "select_all" "select_value"
    "select_rows" "order" "group" "having" "joins" "pluck" "delete_all" "update_all" "query")
  (#set! rule "sql-injection")
  (#set! requires "dynamic-string")
  (#set! fix "Use placeholders: where(\"name = ?\", name) or where(name: name)."))

; ---------------------------------------------------------------- command-injection
((call method: (identifier) @_method arguments: (argument_list . (_) @arg .)) @finding
  (#any-of? @_method "system" "exec" "spawn" "popen" "capture2" "capture2e" "capture3" "`")
  (#not-match? @arg "^('[^']*'|\"[^\"#]*\")$")
  (#set! rule "command-injection")
  (#set! fix "Pass the program and its arguments separately: system(\"ls\", \"-l\", dir)."))
((subshell (interpolation)) @finding
  (#set! rule "command-injection")
  (#set! fix "Use Open3.capture2(\"program\", arg) with separate arguments."))

; ---------------------------------------------------------------- code-injection
((call method: (identifier) @_method arguments: (argument_list . (_) @arg)) @finding
  (#any-of? @_method "eval" "instance_eval" "class_eval" "module_eval")
  (#not-match? @arg "^('[^']*'|\"[^\"#]*\")$")
  (#set! rule "code-injection"))

; ---------------------------------------------------------------- hardcoded-credentials
((assignment left: [(identifier) (constant)] @_name right: (string) @_value) @finding
  (#match? @_name "(?i)(passw(or)?d|pwd|passphrase|secret|secret_?key|api_?key|access_?key|private_?key|auth_?token|access_?token|client_?secret|token)$")
  (#match? @_value "^('[^\"'{}%$<>#\\s]{4,}'|\"[^\"'{}%$<>#\\s]{4,}\")$")
  (#set! rule "hardcoded-credentials")
  (#set! fix "Read it at run time: ENV.fetch(\"DB_PASSWORD\") or Rails credentials."))
((pair key: [(hash_key_symbol) (simple_symbol) (string)] @_name value: (string) @_value) @finding
  (#match? @_name "(?i)^:?[\"']?(passw(or)?d|pwd|secret|api_?key|access_?key|private_?key|auth_?token|access_?token|client_?secret)[\"']?$")
  (#match? @_value "^('[^\"'{}%$<>#\\s]{4,}'|\"[^\"'{}%$<>#\\s]{4,}\")$")
  (#set! rule "hardcoded-credentials"))

; ---------------------------------------------------------------- weak-password-hash
((call receiver: (scope_resolution) @_class) @finding
  (#match? @_class "^(::)?Digest::(MD5|SHA1)$")
  (#set! rule "weak-password-hash")
  (#set! requires-scope "password-value")
  (#set! fix "Use bcrypt (has_secure_password) or argon2."))

; ---------------------------------------------------------------- insecure-deserialization
((call receiver: (constant) @_class method: (identifier) @_method) @finding
  (#eq? @_class "Marshal")
  (#any-of? @_method "load" "restore")
  (#set! rule "insecure-deserialization")
  (#set! fix "Exchange data as JSON; Marshal only data this program wrote and nobody else could change."))
((call receiver: (constant) @_class method: (identifier) @_method) @finding
  (#any-of? @_class "YAML" "Psych")
  (#any-of? @_method "unsafe_load" "load_documents")
  (#set! rule "insecure-deserialization")
  (#set! fix "Use YAML.safe_load."))

; ---------------------------------------------------------------- tls-verification-disabled
((scope_resolution) @finding
  (#match? @finding "^(::)?OpenSSL::SSL::VERIFY_NONE$")
  (#set! rule "tls-verification-disabled")
  (#set! fix "Use OpenSSL::SSL::VERIFY_PEER and add a private CA to the certificate store."))

; ---------------------------------------------------------------- path-traversal
((call receiver: (constant) @_class method: (identifier) @_method arguments: (argument_list . (_) @arg)) @finding
  (#any-of? @_class "File" "IO" "FileUtils" "Pathname")
  (#any-of? @_method "read" "open" "readlines" "write" "delete" "unlink" "binread" "foreach" "rm" "rm_rf" "new")
  (#set! rule "path-traversal")
  (#set! requires "request-input")
  (#set! sanitizer "path-sanitizer"))
((call method: (identifier) @_method arguments: (argument_list . (_) @arg)) @finding
  (#any-of? @_method "send_file" "render_file")
  (#set! rule "path-traversal")
  (#set! requires "request-input")
  (#set! sanitizer "path-sanitizer"))

; ---------------------------------------------------------------- ssrf
((call receiver: (_) @_class method: (identifier) @_method arguments: (argument_list . (_) @arg)) @finding
  (#match? @_class "^(Net::HTTP|HTTParty|Faraday|RestClient|URI|Excon|HTTP)$")
  (#any-of? @_method "get" "post" "get_response" "open" "start" "head")
  (#set! rule "ssrf")
  (#set! requires "request-input"))
