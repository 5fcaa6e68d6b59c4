; Security patterns for Java. Conventions: docs/security.md.

; ---------------------------------------------------------------- scopes and assignments
(method_declaration) @scope
(constructor_declaration) @scope
(lambda_expression) @scope

(variable_declarator name: (_) @assign.name value: (_) @assign.value)
(assignment_expression left: (_) @assign.name right: (_) @assign.value)
; A handler parameter bound to request input is assigned by the framework.
((formal_parameter
   (modifiers [(marker_annotation name: (identifier) @_annotation) (annotation name: (identifier) @_annotation)])
   name: (identifier) @assign.name) @assign.value
  (#any-of? @_annotation "RequestParam" "PathVariable" "RequestHeader" "RequestBody" "CookieValue"
    "QueryParam" "PathParam" "FormParam" "HeaderParam"))

; ---------------------------------------------------------------- kinds
; Text built from values: concatenation, String.format, formatted().
((binary_expression
   left: (string_literal)
   operator: "+"
   right: [(identifier) (field_access) (method_invocation) (array_access)]) @match
  (#set! kind "dynamic-string"))
((binary_expression
   left: [(identifier) (field_access) (method_invocation) (array_access)]
   operator: "+"
   right: (string_literal)) @match
  (#set! kind "dynamic-string"))
((method_invocation object: (identifier) @_class name: (identifier) @_method arguments: (argument_list (_) (_))) @match
  (#eq? @_class "String")
  (#eq? @_method "format")
  (#set! kind "dynamic-string"))
((method_invocation object: (string_literal) name: (identifier) @_method) @match
  (#eq? @_method "formatted")
  (#set! kind "dynamic-string"))

; Values a web request carries (Servlet API, Spring and JAX-RS parameters).
((method_invocation object: (identifier) @_request name: (identifier) @_method) @match
  (#any-of? @_request "request" "req" "httpRequest" "servletRequest")
  (#any-of? @_method "getParameter" "getParameterValues" "getParameterMap" "getHeader" "getQueryString"
    "getPathInfo" "getRequestURI" "getInputStream" "getReader" "getCookies")
  (#set! kind "request-input"))
((formal_parameter
   (modifiers [(marker_annotation name: (identifier) @_annotation) (annotation name: (identifier) @_annotation)])) @match
  (#any-of? @_annotation "RequestParam" "PathVariable" "RequestHeader" "RequestBody" "CookieValue"
    "QueryParam" "PathParam" "FormParam" "HeaderParam")
  (#set! kind "request-input"))

; Reducing a path to a file name; encoding a value into one URL component.
((method_invocation name: (identifier) @_method) @match
  (#any-of? @_method "getName" "getFileName" "normalizeFileName")
  (#set! kind "path-sanitizer"))
((method_invocation object: (identifier) @_class name: (identifier) @_method) @match
  (#any-of? @_class "URLEncoder" "UriUtils")
  (#any-of? @_method "encode" "encodeQueryParam" "encodePathSegment")
  (#set! kind "url-encoded"))

; A name that holds a password.
((identifier) @match
  (#match? @match "(?i)(passw(or)?d|pwd|passphrase)")
  (#set! kind "password-value"))

; ---------------------------------------------------------------- sql-injection
((method_invocation name: (identifier) @_method arguments: (argument_list . (_) @arg)) @finding
  (#any-of? @_method "executeQuery" "executeUpdate" "execute" "executeLargeUpdate" "addBatch"
    "prepareStatement" "prepareCall" "createQuery" "createNativeQuery" "createSQLQuery" "queryForObject"
    "queryForList" "queryForMap" "queryForRowSet" "update" "batchUpdate" "query" "nativeQuery")
  (#set! rule "sql-injection")
  (#set! requires "dynamic-string")
  (#set! fix "Use a PreparedStatement with ? placeholders and setString/setInt (or named parameters in JPA)."))

; ---------------------------------------------------------------- command-injection
((method_invocation
   object: (method_invocation object: (identifier) @_class name: (identifier) @_get)
   name: (identifier) @_method
   arguments: (argument_list . (_) @arg)) @finding
  (#eq? @_class "Runtime")
  (#eq? @_get "getRuntime")
  (#eq? @_method "exec")
  (#not-match? @arg "^(\"[^\"]*\"|new\\s+String\\s*\\[\\][\\s\\S]*)$")
  (#set! rule "command-injection")
  (#set! fix "Use new ProcessBuilder(\"program\", arg1, arg2) with separate arguments and no shell."))
((object_creation_expression
   type: (type_identifier) @_class
   arguments: (argument_list . (string_literal) @_shell . (string_literal) @_flag . (_) @arg)) @finding
  (#eq? @_class "ProcessBuilder")
  (#match? @_shell "^\"(/bin/|/usr/bin/)?(sh|bash|zsh|cmd|cmd.exe|powershell)\"$")
  (#match? @_flag "^\"(-c|/c|/C)\"$")
  (#not-match? @arg "^\"[^\"]*\"$")
  (#set! rule "command-injection")
  (#set! fix "Pass the program and its arguments to ProcessBuilder separately, without a shell."))

; ---------------------------------------------------------------- code-injection
((method_invocation object: (identifier) @_engine name: (identifier) @_method arguments: (argument_list . (_) @arg)) @finding
  (#match? @_engine "(?i)engine$")
  (#eq? @_method "eval")
  (#not-match? @arg "^\"[^\"]*\"$")
  (#set! rule "code-injection")
  (#set! fix "Do not evaluate script text from outside; expose a fixed set of operations."))
((method_invocation name: (identifier) @_method arguments: (argument_list . (_) @arg)) @finding
  (#eq? @_method "parseExpression")
  (#not-match? @arg "^\"[^\"]*\"$")
  (#set! rule "code-injection")
  (#set! fix "Evaluate only constant SpEL expressions, or use a SimpleEvaluationContext."))

; ---------------------------------------------------------------- hardcoded-credentials
((variable_declarator name: (identifier) @_name value: (string_literal) @_value) @finding
  (#match? @_name "(?i)(passw(or)?d|pwd|passphrase|secret|secret_?key|api_?key|access_?key|private_?key|auth_?token|access_?token|client_?secret|token)$")
  (#match? @_value "^\"[^\"'{}%$<>\\s]{4,}\"$")
  (#set! rule "hardcoded-credentials")
  (#set! fix "Read it at run time: System.getenv(\"DB_PASSWORD\") or a secret store."))
((method_invocation
   object: (identifier) @_class
   name: (identifier) @_method
   arguments: (argument_list (_) (_) . (string_literal) @_value .)) @finding
  (#eq? @_class "DriverManager")
  (#eq? @_method "getConnection")
  (#match? @_value "^\"[^\"]{4,}\"$")
  (#set! rule "hardcoded-credentials"))

; ---------------------------------------------------------------- weak-password-hash
((method_invocation
   object: (identifier) @_class
   name: (identifier) @_method
   arguments: (argument_list . (string_literal) @_algorithm)) @finding
  (#eq? @_class "MessageDigest")
  (#eq? @_method "getInstance")
  (#match? @_algorithm "(?i)^\"(md5|sha1|sha-1)\"$")
  (#set! rule "weak-password-hash")
  (#set! requires-scope "password-value")
  (#set! fix "Use a password hash: BCryptPasswordEncoder, Argon2PasswordEncoder or PBKDF2WithHmacSHA256."))
((method_invocation object: (identifier) @_class name: (identifier) @_method) @finding
  (#eq? @_class "DigestUtils")
  (#any-of? @_method "md5" "md5Hex" "sha1" "sha1Hex" "md5DigestAsHex")
  (#set! rule "weak-password-hash")
  (#set! requires-scope "password-value"))

; ---------------------------------------------------------------- insecure-deserialization
((object_creation_expression type: (type_identifier) @_class) @finding
  (#any-of? @_class "ObjectInputStream" "XMLDecoder")
  (#set! rule "insecure-deserialization")
  (#set! fix "Exchange data as JSON into fixed classes, or set an ObjectInputFilter that allows only expected classes."))
((method_invocation object: (identifier) @_class name: (identifier) @_method) @finding
  (#eq? @_class "SerializationUtils")
  (#eq? @_method "deserialize")
  (#set! rule "insecure-deserialization"))
((method_invocation name: (identifier) @_method) @finding
  (#eq? @_method "enableDefaultTyping")
  (#set! rule "insecure-deserialization"))

; ---------------------------------------------------------------- tls-verification-disabled
((method_invocation
   name: (identifier) @_method
   arguments: (argument_list . (lambda_expression body: (true)) .)) @finding
  (#eq? @_method "setHostnameVerifier")
  (#set! rule "tls-verification-disabled")
  (#set! fix "Keep the default HostnameVerifier; trust a private CA through a KeyStore."))
([(identifier) (field_access)] @finding
  (#match? @finding "(^|\\.)(ALLOW_ALL_HOSTNAME_VERIFIER|INSTANCE)$")
  (#match? @finding "^(NoopHostnameVerifier\\.INSTANCE|SSLSocketFactory\\.ALLOW_ALL_HOSTNAME_VERIFIER|ALLOW_ALL_HOSTNAME_VERIFIER)$")
  (#set! rule "tls-verification-disabled"))
((object_creation_expression type: (type_identifier) @_class) @finding
  (#eq? @_class "NoopHostnameVerifier")
  (#set! rule "tls-verification-disabled"))
((method_declaration
   name: (identifier) @_method
   body: (block . "{" . "}")) @finding
  (#eq? @_method "checkServerTrusted")
  (#set! rule "tls-verification-disabled")
  (#set! fix "Do not replace the TrustManager with one that accepts every certificate."))

; ---------------------------------------------------------------- path-traversal
((object_creation_expression type: (type_identifier) @_class arguments: (argument_list) @arg) @finding
  (#any-of? @_class "File" "FileInputStream" "FileOutputStream" "FileReader" "FileWriter" "RandomAccessFile")
  (#set! rule "path-traversal")
  (#set! requires "request-input")
  (#set! sanitizer "path-sanitizer")
  (#set! fix "Reduce the input to a file name (Paths.get(name).getFileName()), or normalize the path and check it startsWith the base directory."))
((method_invocation object: (identifier) @_class name: (identifier) @_method arguments: (argument_list) @arg) @finding
  (#any-of? @_class "Paths" "Path" "Files")
  (#any-of? @_method "get" "of" "readAllBytes" "readAllLines" "readString" "newInputStream"
    "newBufferedReader" "write" "delete" "copy" "lines")
  (#set! rule "path-traversal")
  (#set! requires "request-input")
  (#set! sanitizer "path-sanitizer"))

; ---------------------------------------------------------------- ssrf
((object_creation_expression type: (type_identifier) @_class arguments: (argument_list . (_) @arg)) @finding
  (#eq? @_class "URL")
  (#set! rule "ssrf")
  (#set! requires "request-input")
  (#set! sanitizer "url-encoded")
  (#set! fix "Pick the host from an allow-list; pass request input only as an encoded parameter."))
((method_invocation object: (identifier) @_class name: (identifier) @_method arguments: (argument_list . (_) @arg)) @finding
  (#eq? @_class "URI")
  (#eq? @_method "create")
  (#set! rule "ssrf")
  (#set! requires "request-input")
  (#set! sanitizer "url-encoded"))
((method_invocation name: (identifier) @_method arguments: (argument_list . (_) @arg)) @finding
  (#any-of? @_method "getForObject" "getForEntity" "postForObject" "postForEntity" "exchange")
  (#set! rule "ssrf")
  (#set! requires "request-input")
  (#set! sanitizer "url-encoded"))
