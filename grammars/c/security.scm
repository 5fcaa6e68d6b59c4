; Security patterns for C, also the first part of C++'s (cpp/security.scm inherits them).
; Conventions: docs/security.md.

; ---------------------------------------------------------------- scopes and assignments
(function_definition) @scope

(init_declarator declarator: (_) @assign.name value: (_) @assign.value)
(assignment_expression left: (_) @assign.name right: (_) @assign.value)
; Functions that write a string into their first argument assign it.
((call_expression function: (identifier) @_function arguments: (argument_list . (_) @assign.name)) @assign.value
  (#any-of? @_function "sprintf" "snprintf" "asprintf" "vsprintf" "vsnprintf" "strcat" "strncat" "strcpy" "strncpy" "strlcat" "strlcpy"))

; ---------------------------------------------------------------- kinds
; Text built from values: printf-style formatting with a conversion, strcat of a variable.
((call_expression function: (identifier) @_function arguments: (argument_list (string_literal) @_format)) @match
  (#any-of? @_function "sprintf" "snprintf" "asprintf" "vsprintf" "vsnprintf" "g_strdup_printf")
  (#match? @_format "%[-+ #0-9.*]*[hlLqjzt]*[sdiuxXfgc]")
  (#set! kind "dynamic-string"))
((call_expression function: (identifier) @_function arguments: (argument_list (_) . (_) @_source)) @match
  (#any-of? @_function "strcat" "strncat" "strlcat")
  (#not-match? @_source "^\"")
  (#set! kind "dynamic-string"))

; A name that holds a password.
([(identifier) (field_identifier)] @match
  (#match? @match "(?i)(passw(or)?d|pwd|passphrase)")
  (#set! kind "password-value"))

; ---------------------------------------------------------------- sql-injection
((call_expression function: (identifier) @_function arguments: (argument_list . (_) . (_) @arg)) @finding
  (#any-of? @_function "sqlite3_exec" "sqlite3_prepare" "sqlite3_prepare_v2" "sqlite3_prepare_v3"
    "mysql_query" "mysql_real_query" "PQexec" "PQprepare" "PQsendQuery")
  (#set! rule "sql-injection")
  (#set! requires "dynamic-string")
  (#set! fix "Prepare the statement with ? placeholders and bind the values (sqlite3_bind_text, PQexecParams, mysql_stmt_bind_param)."))

; ---------------------------------------------------------------- command-injection
((call_expression function: (identifier) @_function arguments: (argument_list . (_) @arg)) @finding
  (#any-of? @_function "system" "popen" "_popen" "_wsystem")
  (#not-match? @arg "^\"[^\"]*\"$")
  (#set! rule "command-injection")
  (#set! fix "Run the program with execv/posix_spawn and an argument vector, not through a shell."))
((call_expression
   function: (identifier) @_function
   arguments: (argument_list . (_) . (_) . (string_literal) @_flag . (_) @arg)) @finding
  (#any-of? @_function "execl" "execlp")
  (#eq? @_flag "\"-c\"")
  (#not-match? @arg "^\"[^\"]*\"$")
  (#set! rule "command-injection"))

; ---------------------------------------------------------------- hardcoded-credentials
((init_declarator declarator: (_) @_name value: (string_literal) @_value) @finding
  (#match? @_name "(?i)(passw(or)?d|pwd|passphrase|secret|secret_?key|api_?key|access_?key|private_?key|auth_?token|access_?token|client_?secret|token)(\\[[0-9]*\\])?$")
  (#match? @_value "^\"[^\"'{}%$<>\\s]{4,}\"$")
  (#set! rule "hardcoded-credentials")
  (#set! fix "Read it at run time: getenv(\"DB_PASSWORD\") or a secret store."))
((preproc_def name: (identifier) @_name value: (preproc_arg) @_value) @finding
  (#match? @_name "(?i)(passw(or)?d|pwd|passphrase|secret|secret_?key|api_?key|access_?key|private_?key|auth_?token|access_?token|client_?secret|token)$")
  (#match? @_value "^\\s*\"[^\"'{}%$<>\\s]{4,}\"\\s*$")
  (#set! rule "hardcoded-credentials")
  (#set! fix "Read it at run time: getenv(\"DB_PASSWORD\") or a secret store."))

; ---------------------------------------------------------------- weak-password-hash
((call_expression function: (identifier) @_function) @finding
  (#any-of? @_function "MD5" "MD5_Init" "SHA1" "SHA1_Init" "EVP_md5" "EVP_sha1" "crypt_md5")
  (#set! rule "weak-password-hash")
  (#set! requires-scope "password-value")
  (#set! fix "Use a password hash: crypt with yescrypt/bcrypt, libsodium's crypto_pwhash, or PKCS5_PBKDF2_HMAC with many iterations."))

; ---------------------------------------------------------------- tls-verification-disabled
((call_expression
   function: (identifier) @_function
   arguments: (argument_list (_) . (identifier) @_option . (_) @_value .)) @finding
  (#eq? @_function "curl_easy_setopt")
  (#any-of? @_option "CURLOPT_SSL_VERIFYPEER" "CURLOPT_SSL_VERIFYHOST" "CURLOPT_PROXY_SSL_VERIFYPEER")
  (#match? @_value "^(0[lL]*|FALSE|false)$")
  (#set! rule "tls-verification-disabled")
  (#set! fix "Leave CURLOPT_SSL_VERIFYPEER and CURLOPT_SSL_VERIFYHOST on; point CURLOPT_CAINFO at a private CA."))
((call_expression
   function: (identifier) @_function
   arguments: (argument_list (_) . (identifier) @_mode)) @finding
  (#any-of? @_function "SSL_CTX_set_verify" "SSL_set_verify")
  (#eq? @_mode "SSL_VERIFY_NONE")
  (#set! rule "tls-verification-disabled"))

; ---------------------------------------------------------------- unsafe-c-string
((call_expression function: (identifier) @_function) @finding
  (#any-of? @_function "strcpy" "strcat" "gets" "sprintf" "vsprintf" "wcscpy" "wcscat" "stpcpy" "_mbscpy" "lstrcpy" "lstrcat")
  (#set! rule "unsafe-c-string")
  (#set! fix "Use the bounded form: snprintf(buf, sizeof buf, ...), strlcpy/strncpy with the buffer size, fgets instead of gets."))
