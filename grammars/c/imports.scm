; Imports for C: `#include "x.h"` (resolved) and `#include <x.h>` (system, kept unresolved).
(preproc_include path: (string_literal (string_content) @import.path)) @import
(preproc_include path: (system_lib_string) @import.system) @import
