; Security patterns for Python. Conventions (docs/security.md): a pattern sets `rule` (and
; reports @finding), sets `kind` (marks @match), captures @scope, or captures @assign.name and
; @assign.value. `requires` kinds must occur in @arg, directly or through one assignment in the
; same scope; a `sanitizer` match around them makes them harmless.

; ---------------------------------------------------------------- scopes and assignments
(function_definition) @scope
(lambda) @scope

(assignment left: (_) @assign.name right: (_) @assign.value)
(augmented_assignment left: (_) @assign.name right: (_) @assign.value)
(named_expression name: (_) @assign.name value: (_) @assign.value)

; ---------------------------------------------------------------- kinds
; Text built from values: f-strings, concatenation, % and .format().
((string (interpolation)) @match
  (#set! kind "dynamic-string"))
((binary_operator
   left: (string)
   operator: "+"
   right: [(identifier) (attribute) (call) (subscript)]) @match
  (#set! kind "dynamic-string"))
((binary_operator
   left: [(identifier) (attribute) (call) (subscript)]
   operator: "+"
   right: (string)) @match
  (#set! kind "dynamic-string"))
((binary_operator left: (string) operator: "%") @match
  (#set! kind "dynamic-string"))
((call function: (attribute object: (string) attribute: (identifier) @_method)) @match
  (#eq? @_method "format")
  (#set! kind "dynamic-string"))

; Values a web request carries (Flask, Django, Starlette, FastAPI).
((attribute object: (identifier) @_request attribute: (identifier) @_part) @match
  (#any-of? @_request "request" "req")
  (#any-of? @_part "args" "form" "values" "json" "data" "files" "cookies" "headers" "GET" "POST"
    "FILES" "COOKIES" "query_params" "path_params" "get_json" "get_data" "body" "query_string")
  (#set! kind "request-input"))

; Reducing a path to a file name.
((call function: [(identifier) @_name (attribute attribute: (identifier) @_name)]) @match
  (#any-of? @_name "secure_filename" "basename")
  (#set! kind "path-sanitizer"))

; Encoding a value into one URL component.
((call function: [(identifier) @_name (attribute attribute: (identifier) @_name)]) @match
  (#any-of? @_name "quote" "quote_plus" "urlencode")
  (#set! kind "url-encoded"))

; A name that holds a password.
((identifier) @match
  (#match? @match "(?i)(passw(or)?d|pwd|passphrase)")
  (#set! kind "password-value"))

; ---------------------------------------------------------------- sql-injection
((call
   function: (attribute attribute: (identifier) @_method)
   arguments: (argument_list . (_) @arg)) @finding
  (#any-of? @_method "execute" "executemany" "executescript" "mogrify" "raw" "extra" "query"
    "exec_driver_sql" "read_sql" "read_sql_query")
  (#set! rule "sql-injection")
  (#set! requires "dynamic-string")
  (#set! fix "Use placeholders and pass the values separately: cur.execute(\"... WHERE id = %s\", (user_id,)); with SQLAlchemy, text(\"... :id\") and a dict."))

; ---------------------------------------------------------------- command-injection
((call
   function: (attribute object: (identifier) @_module attribute: (identifier) @_function)
   arguments: (argument_list . (_) @arg)) @finding
  (#any-of? @_module "os" "commands")
  (#any-of? @_function "system" "popen" "popen2" "popen3" "getoutput" "getstatusoutput")
  (#not-match? @arg "^[rRbBuU]{0,2}(\"[^\"]*\"|'[^']*')$")
  (#set! rule "command-injection")
  (#set! fix "Call subprocess.run([\"program\", arg1, arg2]) with a list and without shell=True."))
((call
   function: [(identifier) @_function (attribute attribute: (identifier) @_function)]
   arguments: (argument_list
     . (_) @arg
     (keyword_argument name: (identifier) @_keyword value: (true)))) @finding
  (#any-of? @_function "run" "call" "check_call" "check_output" "Popen" "create_subprocess_shell")
  (#eq? @_keyword "shell")
  (#not-match? @arg "^([rRbBuU]{0,2}(\"[^\"]*\"|'[^']*')|\\[[\\s\\S]*\\])$")
  (#set! rule "command-injection")
  (#set! fix "Pass the command as a list (subprocess.run([\"program\", arg])) and drop shell=True."))
((call
   function: (attribute object: (identifier) @_module attribute: (identifier) @_function)
   arguments: (argument_list . (_) @arg)) @finding
  (#eq? @_module "subprocess")
  (#any-of? @_function "getoutput" "getstatusoutput")
  (#not-match? @arg "^[rRbBuU]{0,2}(\"[^\"]*\"|'[^']*')$")
  (#set! rule "command-injection"))

; ---------------------------------------------------------------- code-injection
((call function: (identifier) @_function arguments: (argument_list . (_) @arg)) @finding
  (#any-of? @_function "eval" "exec")
  (#not-match? @arg "^[rRbBuU]{0,2}(\"[^\"]*\"|'[^']*')$")
  (#set! rule "code-injection")
  (#set! fix "Parse the data instead: json.loads, ast.literal_eval, or a dict of allowed operations."))

; ---------------------------------------------------------------- hardcoded-credentials
((assignment
   left: [(identifier) @_name (attribute attribute: (identifier) @_name)]
   right: (string) @_value) @finding
  (#match? @_name "(?i)(passw(or)?d|pwd|passphrase|secret|secret_?key|api_?key|access_?key|private_?key|auth_?token|access_?token|client_?secret|token)$")
  (#match? @_value "^[rRbBuU]{0,2}(\"[^\"'{}%$<>\\s]{4,}\"|'[^\"'{}%$<>\\s]{4,}')$")
  (#set! rule "hardcoded-credentials")
  (#set! fix "Read it at run time: os.environ[\"DB_PASSWORD\"] or a secret manager."))
((keyword_argument name: (identifier) @_name value: (string) @_value) @finding
  (#match? @_name "(?i)(passw(or)?d|pwd|passphrase|secret|secret_?key|api_?key|access_?key|private_?key|auth_?token|access_?token|client_?secret|token)$")
  (#match? @_value "^[rRbBuU]{0,2}(\"[^\"'{}%$<>\\s]{4,}\"|'[^\"'{}%$<>\\s]{4,}')$")
  (#set! rule "hardcoded-credentials")
  (#set! fix "Read it at run time: os.environ[\"DB_PASSWORD\"] or a secret manager."))
((pair key: (string) @_name value: (string) @_value) @finding
  (#match? @_name "(?i)^[\"'](passw(or)?d|pwd|secret|secret_?key|api_?key|access_?key|private_?key|auth_?token|access_?token|client_?secret)[\"']$")
  (#match? @_value "^[rRbBuU]{0,2}(\"[^\"'{}%$<>\\s]{4,}\"|'[^\"'{}%$<>\\s]{4,}')$")
  (#set! rule "hardcoded-credentials"))

; ---------------------------------------------------------------- weak-password-hash
((call function: (attribute object: (identifier) @_module attribute: (identifier) @_function)) @finding
  (#eq? @_module "hashlib")
  (#any-of? @_function "md5" "sha1")
  (#set! rule "weak-password-hash")
  (#set! requires-scope "password-value")
  (#set! fix "Use hashlib.scrypt, argon2-cffi or bcrypt with a per-password salt."))
((call
   function: (attribute object: (identifier) @_module attribute: (identifier) @_function)
   arguments: (argument_list . (string) @_algorithm)) @finding
  (#eq? @_module "hashlib")
  (#eq? @_function "new")
  (#match? @_algorithm "(?i)^[\"'](md5|sha1|sha-1)[\"']$")
  (#set! rule "weak-password-hash")
  (#set! requires-scope "password-value"))
((call function: (identifier) @_function) @finding
  (#any-of? @_function "md5" "sha1")
  (#set! rule "weak-password-hash")
  (#set! requires-scope "password-value"))

; ---------------------------------------------------------------- insecure-deserialization
((call function: (attribute object: (identifier) @_module attribute: (identifier) @_function)) @finding
  (#any-of? @_module "pickle" "cPickle" "_pickle" "dill" "marshal" "shelve" "jsonpickle" "joblib")
  (#any-of? @_function "load" "loads" "Unpickler" "open" "decode")
  (#set! rule "insecure-deserialization")
  (#set! fix "Exchange data as JSON; pickle only data that this program wrote and nobody else could change."))
((call
   function: (attribute object: (identifier) @_module attribute: (identifier) @_function)
   arguments: (argument_list) @_arguments) @finding
  (#eq? @_module "yaml")
  (#any-of? @_function "load" "load_all")
  (#not-match? @_arguments "(Safe|CSafe|Base)Loader")
  (#set! rule "insecure-deserialization")
  (#set! fix "Use yaml.safe_load (or Loader=yaml.SafeLoader)."))
((call function: (attribute object: (identifier) @_module attribute: (identifier) @_function)) @finding
  (#eq? @_module "yaml")
  (#any-of? @_function "unsafe_load" "unsafe_load_all" "full_load" "full_load_all")
  (#set! rule "insecure-deserialization")
  (#set! fix "Use yaml.safe_load."))

; ---------------------------------------------------------------- tls-verification-disabled
((keyword_argument name: (identifier) @_name value: (false)) @finding
  (#eq? @_name "verify")
  (#set! rule "tls-verification-disabled")
  (#set! fix "Drop verify=False; for a private CA pass verify=\"/path/to/ca.pem\"."))
((assignment left: (attribute attribute: (identifier) @_name) right: (false)) @finding
  (#any-of? @_name "verify" "check_hostname")
  (#set! rule "tls-verification-disabled"))
((assignment left: (attribute attribute: (identifier) @_name) right: (attribute attribute: (identifier) @_value)) @finding
  (#eq? @_name "verify_mode")
  (#eq? @_value "CERT_NONE")
  (#set! rule "tls-verification-disabled"))
((keyword_argument name: (identifier) @_name value: (attribute attribute: (identifier) @_value)) @finding
  (#eq? @_name "cert_reqs")
  (#eq? @_value "CERT_NONE")
  (#set! rule "tls-verification-disabled"))
((call function: (attribute attribute: (identifier) @_function)) @finding
  (#eq? @_function "_create_unverified_context")
  (#set! rule "tls-verification-disabled"))

; ---------------------------------------------------------------- path-traversal
((call
   function: [(identifier) @_function (attribute attribute: (identifier) @_function)]
   arguments: (argument_list . (_) @arg)) @finding
  (#any-of? @_function "open" "send_file" "FileResponse" "remove" "unlink" "rmtree" "Path"
    "listdir" "makedirs" "mkdir" "rmdir" "copyfile" "copy" "move" "load_workbook" "ZipFile")
  (#set! rule "path-traversal")
  (#set! requires "request-input")
  (#set! sanitizer "path-sanitizer")
  (#set! fix "Use werkzeug's secure_filename or os.path.basename, or send_from_directory; or resolve the path and check it starts with the base directory."))

; ---------------------------------------------------------------- ssrf
((call
   function: (attribute object: (identifier) @_module attribute: (identifier) @_function)
   arguments: (argument_list . (_) @arg)) @finding
  (#any-of? @_module "requests" "httpx" "session" "client" "http" "urllib3" "aiohttp")
  (#any-of? @_function "get" "post" "put" "delete" "patch" "head" "options" "stream")
  (#set! rule "ssrf")
  (#set! requires "request-input")
  (#set! sanitizer "url-encoded")
  (#set! fix "Pick the host from an allow-list; pass request input only as params= or through urllib.parse.quote."))
((call
   function: [(identifier) @_function (attribute attribute: (identifier) @_function)]
   arguments: (argument_list . (_) @arg)) @finding
  (#any-of? @_function "urlopen" "Request" "urlretrieve")
  (#set! rule "ssrf")
  (#set! requires "request-input")
  (#set! sanitizer "url-encoded"))
