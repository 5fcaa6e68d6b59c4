; Security patterns for JavaScript, also used by TypeScript and TSX (which inherit from it).
; Conventions: docs/security.md.

; ---------------------------------------------------------------- scopes and assignments
(function_declaration) @scope
(function_expression) @scope
(arrow_function) @scope
(method_definition) @scope
(generator_function_declaration) @scope

(variable_declarator name: (_) @assign.name value: (_) @assign.value)
(assignment_expression left: (_) @assign.name right: (_) @assign.value)
(augmented_assignment_expression left: (_) @assign.name right: (_) @assign.value)

; ---------------------------------------------------------------- kinds
; Text built from values: template literals with substitutions, concatenation, util.format.
((template_string (template_substitution)) @match
  (#set! kind "dynamic-string"))
((binary_expression
   left: [(string) (template_string)]
   operator: "+"
   right: [(identifier) (member_expression) (call_expression) (subscript_expression)]) @match
  (#set! kind "dynamic-string"))
((binary_expression
   left: [(identifier) (member_expression) (call_expression) (subscript_expression)]
   operator: "+"
   right: [(string) (template_string)]) @match
  (#set! kind "dynamic-string"))
((call_expression
   function: (member_expression object: (identifier) @_module property: (property_identifier) @_function)) @match
  (#eq? @_module "util")
  (#eq? @_function "format")
  (#set! kind "dynamic-string"))
((call_expression
   function: (member_expression object: [(string) (template_string)] property: (property_identifier) @_function)) @match
  (#eq? @_function "concat")
  (#set! kind "dynamic-string"))

; Values a web request carries (Express, Koa, Fastify, Next.js).
((member_expression object: (identifier) @_request property: (property_identifier) @_part) @match
  (#any-of? @_request "req" "request")
  (#any-of? @_part "query" "params" "body" "headers" "cookies" "url" "originalUrl" "files" "file")
  (#set! kind "request-input"))
((member_expression
   object: (member_expression object: (identifier) @_context property: (property_identifier) @_request)
   property: (property_identifier) @_part) @match
  (#eq? @_context "ctx")
  (#eq? @_request "request")
  (#any-of? @_part "query" "body" "params")
  (#set! kind "request-input"))
((call_expression
   function: (member_expression object: (identifier) @_params property: (property_identifier) @_get)) @match
  (#eq? @_params "searchParams")
  (#eq? @_get "get")
  (#set! kind "request-input"))

; Reducing a path to a file name.
((call_expression
   function: (member_expression object: (identifier) @_module property: (property_identifier) @_function)) @match
  (#eq? @_module "path")
  (#eq? @_function "basename")
  (#set! kind "path-sanitizer"))

; Encoding a value into one URL component.
((call_expression function: (identifier) @_function) @match
  (#any-of? @_function "encodeURIComponent" "encodeURI")
  (#set! kind "url-encoded"))

; A name that holds a password.
([(identifier) (property_identifier) (shorthand_property_identifier)] @match
  (#match? @match "(?i)(passw(or)?d|pwd|passphrase)")
  (#set! kind "password-value"))

; ---------------------------------------------------------------- sql-injection
((call_expression
   function: (member_expression property: (property_identifier) @_method)
   arguments: (arguments . (_) @arg)) @finding
  (#any-of? @_method "query" "execute" "raw" "prepare" "unsafe" "$queryRawUnsafe" "$executeRawUnsafe"
    "queryRaw" "executeRaw")
  (#set! rule "sql-injection")
  (#set! requires "dynamic-string")
  (#set! fix "Use placeholders and a values array: db.query(\"... WHERE id = $1\", [id]) or a tagged template that binds values."))
; Short method names count only on a receiver named like a database handle.
((call_expression
   function: (member_expression object: (identifier) @_receiver property: (property_identifier) @_method)
   arguments: (arguments . (_) @arg)) @finding
  (#any-of? @_method "run" "all" "get" "exec" "each")
  (#match? @_receiver "(?i)(db|database|sqlite|conn|connection|pool|client|tx|trx)$")
  (#set! rule "sql-injection")
  (#set! requires "dynamic-string")
  (#set! fix "Use placeholders and bind the values: db.all(\"... WHERE id = ?\", [id])."))

; ---------------------------------------------------------------- command-injection
((call_expression
   function: [(identifier) @_function
              (member_expression object: (identifier) @_module property: (property_identifier) @_function)]
   arguments: (arguments . (_) @arg)) @finding
  (#any-of? @_function "exec" "execSync")
  (#any-of? @_module "child_process" "childProcess" "cp" "proc" "shell")
  (#not-match? @arg "^(\"[^\"]*\"|'[^']*'|`[^`$]*`)$")
  (#set! rule "command-injection")
  (#set! fix "Use execFile or spawn with an argument array (no shell): execFile(\"ls\", [\"-l\", dir])."))
((call_expression
   function: [(identifier) @_function (member_expression property: (property_identifier) @_function)]
   arguments: (arguments
     . (_) @arg
     (object (pair key: (property_identifier) @_key value: (true))))) @finding
  (#any-of? @_function "spawn" "spawnSync" "execFile" "execFileSync")
  (#eq? @_key "shell")
  (#not-match? @arg "^(\"[^\"]*\"|'[^']*'|`[^`$]*`)$")
  (#set! rule "command-injection"))

; ---------------------------------------------------------------- code-injection
((call_expression function: (identifier) @_function arguments: (arguments . (_) @arg)) @finding
  (#eq? @_function "eval")
  (#not-match? @arg "^(\"[^\"]*\"|'[^']*'|`[^`$]*`)$")
  (#set! rule "code-injection")
  (#set! fix "Parse data with JSON.parse; map names to functions instead of evaluating code."))
((new_expression constructor: (identifier) @_constructor) @finding
  (#eq? @_constructor "Function")
  (#set! rule "code-injection")
  (#set! fix "Build the behaviour from functions, not from source text."))
((call_expression function: (identifier) @_function arguments: (arguments . (_) @arg)) @finding
  (#any-of? @_function "setTimeout" "setInterval")
  (#match? @arg "^[\"'`]")
  (#not-match? @arg "^(\"[^\"]*\"|'[^']*'|`[^`$]*`)$")
  (#set! rule "code-injection"))
((call_expression
   function: (member_expression object: (identifier) @_module property: (property_identifier) @_function)
   arguments: (arguments . (_) @arg)) @finding
  (#eq? @_module "vm")
  (#any-of? @_function "runInNewContext" "runInThisContext" "runInContext" "compileFunction")
  (#not-match? @arg "^(\"[^\"]*\"|'[^']*'|`[^`$]*`)$")
  (#set! rule "code-injection"))

; ---------------------------------------------------------------- hardcoded-credentials
((variable_declarator name: (identifier) @_name value: (string) @_value) @finding
  (#match? @_name "(?i)(passw(or)?d|pwd|passphrase|secret|secret_?key|api_?key|access_?key|private_?key|auth_?token|access_?token|client_?secret|token)$")
  (#match? @_value "^(\"[^\"'{}%$<>\\s]{4,}\"|'[^\"'{}%$<>\\s]{4,}')$")
  (#set! rule "hardcoded-credentials")
  (#set! fix "Read it at run time: process.env.DB_PASSWORD or a secret manager."))
((pair key: [(property_identifier) (string)] @_name value: (string) @_value) @finding
  (#match? @_name "(?i)^[\"']?(passw(or)?d|pwd|passphrase|secret|secret_?key|api_?key|apikey|access_?key|private_?key|auth_?token|access_?token|client_?secret)[\"']?$")
  (#match? @_value "^(\"[^\"'{}%$<>\\s]{4,}\"|'[^\"'{}%$<>\\s]{4,}')$")
  (#set! rule "hardcoded-credentials")
  (#set! fix "Read it at run time: process.env.DB_PASSWORD or a secret manager."))
((assignment_expression
   left: (member_expression property: (property_identifier) @_name)
   right: (string) @_value) @finding
  (#match? @_name "(?i)(passw(or)?d|pwd|passphrase|secret|api_?key|access_?key|private_?key|auth_?token|access_?token|client_?secret)$")
  (#match? @_value "^(\"[^\"'{}%$<>\\s]{4,}\"|'[^\"'{}%$<>\\s]{4,}')$")
  (#set! rule "hardcoded-credentials"))

; ---------------------------------------------------------------- weak-password-hash
((call_expression
   function: (member_expression property: (property_identifier) @_function)
   arguments: (arguments . (string) @_algorithm)) @finding
  (#any-of? @_function "createHash" "createHmac")
  (#match? @_algorithm "(?i)^[\"'](md5|sha1|sha-1)[\"']$")
  (#set! rule "weak-password-hash")
  (#set! requires-scope "password-value")
  (#set! fix "Use crypto.scrypt, argon2 or bcrypt with a per-password salt."))
((call_expression function: [(identifier) @_function (member_expression property: (property_identifier) @_function)]) @finding
  (#any-of? @_function "md5" "sha1")
  (#set! rule "weak-password-hash")
  (#set! requires-scope "password-value"))

; ---------------------------------------------------------------- insecure-deserialization
((call_expression
   function: [(identifier) @_function (member_expression property: (property_identifier) @_function)]) @finding
  (#eq? @_function "unserialize")
  (#set! rule "insecure-deserialization")
  (#set! fix "Exchange data as JSON (JSON.parse), which builds no functions or classes."))
((call_expression
   function: (member_expression object: (identifier) @_module property: (property_identifier) @_function)) @finding
  (#any-of? @_module "yaml" "jsyaml")
  (#eq? @_function "load")
  (#set! rule "insecure-deserialization")
  (#set! requires-scope "unsafe-yaml-schema"))
((member_expression property: (property_identifier) @_schema) @match
  (#eq? @_schema "DEFAULT_FULL_SCHEMA")
  (#set! kind "unsafe-yaml-schema"))

; ---------------------------------------------------------------- tls-verification-disabled
((pair key: (property_identifier) @_key value: (false)) @finding
  (#eq? @_key "rejectUnauthorized")
  (#set! rule "tls-verification-disabled")
  (#set! fix "Remove rejectUnauthorized: false; for a private CA pass it as `ca`."))
((assignment_expression
   left: (member_expression property: (property_identifier) @_name)
   right: [(string) (number)] @_value) @finding
  (#eq? @_name "NODE_TLS_REJECT_UNAUTHORIZED")
  (#match? @_value "^[\"']?0[\"']?$")
  (#set! rule "tls-verification-disabled"))
((assignment_expression
   left: (subscript_expression index: (string) @_name)
   right: [(string) (number)] @_value) @finding
  (#match? @_name "NODE_TLS_REJECT_UNAUTHORIZED")
  (#match? @_value "^[\"']?0[\"']?$")
  (#set! rule "tls-verification-disabled"))

; ---------------------------------------------------------------- path-traversal
((call_expression
   function: (member_expression property: (property_identifier) @_function)
   arguments: (arguments . (_) @arg)) @finding
  (#any-of? @_function "readFile" "readFileSync" "writeFile" "writeFileSync" "appendFile"
    "appendFileSync" "createReadStream" "createWriteStream" "unlink" "unlinkSync" "rm" "rmSync"
    "readdir" "readdirSync" "open" "openSync" "download")
  (#set! rule "path-traversal")
  (#set! requires "request-input")
  (#set! sanitizer "path-sanitizer")
  (#set! fix "Reduce the input with path.basename, or resolve it and check that it stays under the base directory."))
((call_expression
   function: (member_expression property: (property_identifier) @_function)
   arguments: (arguments . (_) @arg .)) @finding
  (#eq? @_function "sendFile")
  (#set! rule "path-traversal")
  (#set! requires "request-input")
  (#set! sanitizer "path-sanitizer")
  (#set! fix "Pass a `root` option to res.sendFile, or reduce the input with path.basename."))

; ---------------------------------------------------------------- ssrf
((call_expression
   function: [(identifier) @_function (member_expression object: (identifier) @_module property: (property_identifier) @_function)]
   arguments: (arguments . (_) @arg)) @finding
  (#any-of? @_function "fetch" "axios" "got" "request" "get" "post" "put" "delete" "patch" "head")
  (#not-any-of? @_module "req" "request" "res" "app" "router" "params" "map" "cache" "headers"
    "searchParams" "query" "session" "store" "localStorage" "db" "redis" "client")
  (#set! rule "ssrf")
  (#set! requires "request-input")
  (#set! sanitizer "url-encoded")
  (#set! fix "Pick the host from an allow-list and pass request input only as an encoded parameter."))
