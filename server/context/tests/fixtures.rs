//! Fixture tests: a small project per language, written to a temporary directory from one string
//! with `//- /path` headers, indexed, and checked for import resolution, ranking, privacy and
//! incremental updates.

use std::path::{Path, PathBuf};

use infill_context::{
    ContextRequest, ContextResult, IndexOptions, IndexReport, SkipReason, SnippetKind,
    WorkspaceIndex,
};

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    index: WorkspaceIndex,
    report: IndexReport,
}

/// Writes `//- /path` sections under a fresh temporary root.
fn write_fixture(spec: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let mut current: Option<(PathBuf, String)> = None;
    let flush = |current: &mut Option<(PathBuf, String)>| {
        if let Some((path, text)) = current.take() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    };
    for line in spec.lines() {
        if let Some(path) = line.strip_prefix("//- /") {
            flush(&mut current);
            current = Some((root.join(path.trim()), String::new()));
        } else if let Some((_, text)) = current.as_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    flush(&mut current);
    (dir, root)
}

fn fixture(spec: &str) -> Fixture {
    fixture_with(spec, &IndexOptions::default())
}

fn fixture_with(spec: &str, options: &IndexOptions) -> Fixture {
    let (dir, root) = write_fixture(spec);
    let index = WorkspaceIndex::default();
    let report = index.index_root(&root, options, &|_, _| {});
    Fixture { _dir: dir, root, index, report }
}

impl Fixture {
    fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// Resolved import targets of a file, relative to the root, sorted.
    fn resolved(&self, relative: &str) -> Vec<String> {
        let info = self
            .index
            .file_info(&self.path(relative))
            .unwrap_or_else(|| panic!("{relative} not indexed"));
        let mut out: Vec<String> = info
            .imports
            .iter()
            .flat_map(|import| import.files.iter())
            .map(|file| self.rel(file))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    fn rel(&self, path: &Path) -> String {
        path.strip_prefix(&self.root).unwrap().to_string_lossy().into_owned()
    }

    /// Ranks with the cursor placed right after the first occurrence of `marker` in `relative`'s
    /// text on disk (the marker itself stays in the text).
    fn rank_after(&self, relative: &str, marker: &str, budget: usize) -> ContextResult {
        let path = self.path(relative);
        let text = std::fs::read_to_string(&path).unwrap();
        let cursor = text.find(marker).unwrap_or_else(|| panic!("{marker} not in {relative}"))
            + marker.len();
        self.index.rank(&ContextRequest::new(&path, &text, cursor, budget))
    }

    /// Rank (0 = best score) of the first snippet from `relative` whose text contains `needle`.
    fn rank_of(&self, result: &ContextResult, relative: &str, needle: &str) -> Option<usize> {
        let path = self.path(relative);
        let mut by_score: Vec<_> = result.snippets.iter().collect();
        by_score.sort_by(|a, b| b.score.total_cmp(&a.score));
        by_score.iter().position(|s| s.path == path && s.text.contains(needle))
    }
}

fn assert_top(
    fixture: &Fixture,
    result: &ContextResult,
    relative: &str,
    needle: &str,
    within: usize,
) {
    let rank = fixture.rank_of(result, relative, needle);
    let listing: Vec<String> = result
        .snippets
        .iter()
        .map(|s| format!("{}:{} {:.2} {}", fixture.rel(&s.path), s.start_line, s.score, s.reason))
        .collect();
    assert!(
        rank.is_some_and(|rank| rank < within),
        "expected `{needle}` from {relative} among the best {within} snippets, got {rank:?}:\n{}",
        listing.join("\n")
    );
}

#[test]
fn rust_modules_and_use_paths() {
    let f = fixture(
        r#"
//- /Cargo.toml
[package]
name = "demo-app"
version = "0.1.0"
//- /src/lib.rs
pub mod net;
mod util;
pub use util::parse_header;
//- /src/util.rs
/// Splits a header line into its name and value.
pub fn parse_header(line: &str) -> Option<(&str, &str)> {
    line.split_once(':')
}

pub struct Header {
    pub name: String,
}

impl Header {
    pub fn new(name: &str) -> Header {
        Header { name: name.to_owned() }
    }
}
//- /src/net/mod.rs
pub mod http;
//- /src/net/http.rs
use crate::util::{parse_header, Header};
use super::super::util;
use std::collections::HashMap;

pub fn handle(line: &str) -> usize {
    let header = Header::new("x");
    let parsed = parse_header(line);
    parsed.map(|(a, _)| a.len()).unwrap_or(header.name.len())
}
"#,
    );
    assert_eq!(f.report.indexed, 4);
    assert_eq!(f.resolved("src/lib.rs"), ["src/net/mod.rs", "src/util.rs"]);
    assert_eq!(f.resolved("src/net/mod.rs"), ["src/net/http.rs"]);
    assert_eq!(f.resolved("src/net/http.rs"), ["src/util.rs"]);
    let info = f.index.file_info(&f.path("src/net/http.rs")).unwrap();
    let std_import = info.imports.iter().find(|i| i.import.path.starts_with("std")).unwrap();
    assert_eq!(std_import.status, "external");
    let importers = f.index.file_info(&f.path("src/util.rs")).unwrap().importers;
    assert!(
        importers.contains(&f.path("src/net/http.rs")) && importers.contains(&f.path("src/lib.rs"))
    );

    let result = f.rank_after("src/net/http.rs", "let parsed = parse_header", 2048);
    assert_top(&f, &result, "src/util.rs", "pub fn parse_header", 2);
    assert!(
        result.snippets.iter().all(|s| s.path != f.path("src/net/http.rs")),
        "never the current file"
    );
    // The doc comment travels with the definition.
    let snippet = result.snippets.iter().find(|s| s.text.contains("pub fn parse_header")).unwrap();
    assert!(snippet.text.contains("/// Splits a header line"));
    assert!(snippet.reason.contains("parse_header"));
    assert!(result.tokens_used <= 2048);
}

#[test]
fn python_packages_and_relative_imports() {
    let f = fixture(
        r#"
//- /pkg/__init__.py
from .core import Engine
//- /pkg/core.py
from . import helpers
from .helpers import compute_total as total
import os

class Engine(helpers.Base):
    def run(self, items):
        return total(items)
//- /pkg/helpers.py
class Base:
    """A base class."""
    def describe(self):
        return "base"

def compute_total(items):
    """Adds the items up."""
    return sum(items)
//- /pkg/sub/deep.py
from ..helpers import compute_total
from pkg.core import Engine
//- /app.py
import pkg.core
from pkg import helpers

def main():
    engine = pkg.core.Engine()
    value = helpers.compute_total([1, 2])
    return engine.run([value])
"#,
    );
    assert_eq!(f.resolved("pkg/__init__.py"), ["pkg/core.py"]);
    assert_eq!(f.resolved("pkg/core.py"), ["pkg/helpers.py"]);
    assert_eq!(f.resolved("pkg/sub/deep.py"), ["pkg/core.py", "pkg/helpers.py"]);
    assert_eq!(f.resolved("app.py"), ["pkg/core.py", "pkg/helpers.py"]);
    let info = f.index.file_info(&f.path("pkg/core.py")).unwrap();
    assert!(info.imports.iter().any(|i| i.import.path == "os" && i.status == "external"));
    // class extends class across files
    assert!(
        info.extends.iter().any(|(name, file)| name == "Base" && file == &f.path("pkg/helpers.py"))
    );
    let engine = info.definitions.iter().find(|d| d.name == "Engine").unwrap();
    assert_eq!(engine.extends, ["helpers.Base"]);
    let run = info.definitions.iter().find(|d| d.name == "run").unwrap();
    assert_eq!(run.container.as_deref(), Some("Engine"));

    let result = f.rank_after("app.py", "value = helpers.compute_total", 2048);
    assert_top(&f, &result, "pkg/helpers.py", "def compute_total", 2);
}

#[test]
fn typescript_paths_index_files_and_extension_probing() {
    let f = fixture(
        r#"
//- /tsconfig.json
{
  // comments are allowed
  "compilerOptions": {
    "baseUrl": ".",
    "paths": { "@lib/*": ["src/lib/*"], },
  },
}
//- /src/lib/math.ts
export function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
//- /src/lib/shapes/index.ts
export interface Shape { area(): number }
export class Circle implements Shape {
  constructor(private r: number) {}
  area(): number { return Math.PI * this.r * this.r; }
}
//- /src/lib/esm.ts
export const VERSION = "1.0";
//- /src/app.ts
import { clamp } from "@lib/math";
import { Circle } from "./lib/shapes";
import { VERSION } from "./lib/esm.js";
import React from "react";

export function render(size: number) {
  const c = new Circle(size);
  return clamp(c.area(), 0, 10);
}
"#,
    );
    assert_eq!(
        f.resolved("src/app.ts"),
        ["src/lib/esm.ts", "src/lib/math.ts", "src/lib/shapes/index.ts"]
    );
    let info = f.index.file_info(&f.path("src/app.ts")).unwrap();
    assert!(info.imports.iter().any(|i| i.import.path == "react" && i.status == "external"));
    let shapes = f.index.file_info(&f.path("src/lib/shapes/index.ts")).unwrap();
    let circle = shapes.definitions.iter().find(|d| d.name == "Circle").unwrap();
    assert_eq!(circle.extends, ["Shape"]);
    let result = f.rank_after("src/app.ts", "return clamp", 2048);
    assert_top(&f, &result, "src/lib/math.ts", "export function clamp", 2);
}

#[test]
fn javascript_require_and_index() {
    let f = fixture(
        r#"
//- /lib/index.js
const { slugify } = require("./text");
module.exports = { slugify };
//- /lib/text.js
function slugify(title) {
  return title.toLowerCase().replace(/\s+/g, "-");
}
module.exports = { slugify };
//- /main.mjs
import lib from "./lib";
const s = lib.slugify("Hello World");
"#,
    );
    assert_eq!(f.resolved("lib/index.js"), ["lib/text.js"]);
    assert_eq!(f.resolved("main.mjs"), ["lib/index.js"]);
    let result = f.rank_after("main.mjs", "lib.slugify", 1024);
    assert_top(&f, &result, "lib/text.js", "function slugify", 2);
}

#[test]
fn go_packages_through_go_mod() {
    let f = fixture(
        r#"
//- /go.mod
module example.com/shop

go 1.22
//- /internal/price/price.go
package price

// Discount applies a percentage discount.
func Discount(cents int, percent int) int {
	return cents - cents*percent/100
}
//- /internal/price/tax.go
package price

type TaxTable struct {
	Rate float64
}
//- /internal/price/price_test.go
package price
//- /cmd/shop/main.go
package main

import (
	"fmt"
	"example.com/shop/internal/price"
)

func main() {
	fmt.Println(price.Discount(1000, 10))
}
"#,
    );
    assert_eq!(
        f.resolved("cmd/shop/main.go"),
        ["internal/price/price.go", "internal/price/tax.go"]
    );
    let result = f.rank_after("cmd/shop/main.go", "price.Discount", 2048);
    assert_top(&f, &result, "internal/price/price.go", "func Discount", 2);
    let snippet = result.snippets.iter().find(|s| s.text.contains("func Discount")).unwrap();
    assert!(snippet.text.contains("// Discount applies"));
}

#[test]
fn c_and_cpp_includes() {
    let f = fixture(
        r#"
//- /include/vec.h
#ifndef VEC_H
#define VEC_H
typedef struct { float x, y; } vec2;
float vec2_dot(vec2 a, vec2 b);
#endif
//- /src/vec.c
#include "vec.h"
#include <math.h>
float vec2_dot(vec2 a, vec2 b) { return a.x * b.x + a.y * b.y; }
//- /src/main.c
#include "../include/vec.h"
int main(void) { vec2 a = {1, 2}; return (int)vec2_dot(a, a); }
//- /cpp/shape.hpp
class Shape { public: virtual double area() const = 0; };
//- /cpp/square.cpp
#include "shape.hpp"
class Square : public Shape { public: double area() const override { return 1.0; } };
"#,
    );
    assert_eq!(f.resolved("src/vec.c"), ["include/vec.h"]);
    assert_eq!(f.resolved("src/main.c"), ["include/vec.h"]);
    assert_eq!(f.resolved("cpp/square.cpp"), ["cpp/shape.hpp"]);
    let info = f.index.file_info(&f.path("src/vec.c")).unwrap();
    assert!(info.imports.iter().any(|i| i.import.path == "math.h" && i.status == "external"));
    let square = f.index.file_info(&f.path("cpp/square.cpp")).unwrap();
    assert!(
        square
            .extends
            .iter()
            .any(|(name, file)| name == "Shape" && file == &f.path("cpp/shape.hpp"))
    );
    let result = f.rank_after("src/main.c", "(int)vec2_dot", 2048);
    assert!(
        f.rank_of(&result, "include/vec.h", "vec2_dot").is_some()
            || f.rank_of(&result, "src/vec.c", "vec2_dot").is_some()
    );
}

#[test]
fn java_and_csharp_packages() {
    let f = fixture(
        r#"
//- /src/main/java/com/acme/model/Order.java
package com.acme.model;

public class Order extends BaseEntity implements Comparable<Order> {
    public long total() { return 0; }
}
//- /src/main/java/com/acme/model/BaseEntity.java
package com.acme.model;

public abstract class BaseEntity {}
//- /src/main/java/com/acme/App.java
package com.acme;

import com.acme.model.Order;
import java.util.List;

public class App {
    long run(Order order) { return order.total(); }
}
//- /cs/Models/Invoice.cs
namespace Acme.Billing.Models
{
    public class Invoice : IPrintable
    {
        public decimal Amount { get; set; }
        public decimal Tax() { return Amount / 10; }
    }
    public interface IPrintable { }
}
//- /cs/Program.cs
using System;
using Acme.Billing.Models;

class Program { static void Main() { var i = new Invoice(); Console.WriteLine(i.Tax()); } }
"#,
    );
    assert_eq!(
        f.resolved("src/main/java/com/acme/App.java"),
        ["src/main/java/com/acme/model/Order.java"]
    );
    let order = f.index.file_info(&f.path("src/main/java/com/acme/model/Order.java")).unwrap();
    assert_eq!(order.packages, ["com.acme.model"]);
    assert!(order.extends.iter().any(|(name, _)| name == "BaseEntity"));
    assert_eq!(f.resolved("cs/Program.cs"), ["cs/Models/Invoice.cs"]);
    let result = f.rank_after("src/main/java/com/acme/App.java", "order.total", 2048);
    assert_top(&f, &result, "src/main/java/com/acme/model/Order.java", "total()", 2);
}

#[test]
fn ruby_lua_and_shell() {
    let f = fixture(
        r#"
//- /lib/greeter.rb
class Greeter
  def greet(name)
    "Hello #{name}"
  end
end
//- /lib/app.rb
require_relative "greeter"
require "json"
Greeter.new.greet("x")
//- /lua/util/strings.lua
local M = {}
function M.trim(s)
  return (s:gsub("^%s*(.-)%s*$", "%1"))
end
return M
//- /lua/init.lua
local strings = require("util.strings")
print(strings.trim("  x "))
//- /scripts/common.sh
log() { echo "$@"; }
//- /scripts/run.sh
source ./common.sh
log "start"
"#,
    );
    assert_eq!(f.resolved("lib/app.rb"), ["lib/greeter.rb"]);
    let app = f.index.file_info(&f.path("lib/app.rb")).unwrap();
    assert!(app.imports.iter().any(|i| i.import.path == "json" && i.status == "external"));
    assert_eq!(f.resolved("lua/init.lua"), ["lua/util/strings.lua"]);
    let result = f.rank_after("lua/init.lua", "strings.trim", 1024);
    assert_top(&f, &result, "lua/util/strings.lua", "function M.trim", 2);
    let result = f.rank_after("scripts/run.sh", "log", 1024);
    assert!(f.rank_of(&result, "scripts/common.sh", "log()").is_some());
}

const SECRETS: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLQ",
    "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
    "xoxb-123456789012-abcdefghijkl",
    "MIIEowIBAAKCAQEAsecretkeymaterial",
    "hT7#kq9!Zp2@xL",
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
];

#[test]
fn secrets_never_reach_snippets() {
    let f = fixture(
        r#"
//- /config.py
AWS_KEY = "AKIAIOSFODNN7EXAMPLQ"
GITHUB = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
password = "hT7#kq9!Zp2@xL"

def connect(host):
    """Connects using the configured keys."""
    slack = "xoxb-123456789012-abcdefghijkl"
    return host

KEY = """
-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAsecretkeymaterial
-----END RSA PRIVATE KEY-----
"""
//- /.env
GITHUB_TOKEN=github_pat_11ABCDEFG0123456789_abcdefghijklmnop
//- /credentials.py
def connect_token():
    return "github_pat_11ABCDEFG0123456789_abcdefghijklmnop"
//- /secrets/deploy.pem
-----BEGIN PRIVATE KEY-----
//- /app.py
import config
from config import connect, password

def main():
    connect("db")
    connect_token()
    print(password, config.AWS_KEY, config.GITHUB, config.KEY)
"#,
    );
    assert!(
        f.report
            .skipped
            .iter()
            .any(|s| s.path.ends_with("credentials.py") && s.reason == SkipReason::Secret)
    );
    assert!(f.index.file_info(&f.path("credentials.py")).is_none());
    let text = std::fs::read_to_string(f.path("app.py")).unwrap();
    for cursor in (0..text.len()).step_by(7) {
        let result = f.index.rank(&ContextRequest::new(&f.path("app.py"), &text, cursor, 4096));
        let json = serde_json::to_string(&result).unwrap();
        for secret in SECRETS {
            assert!(!json.contains(secret), "{secret} leaked at cursor {cursor}: {json}");
        }
    }
    let result = f.rank_after("app.py", "connect(\"db\")", 4096);
    assert!(result.snippets.iter().any(|s| s.text.contains("def connect")), "{result:#?}");
    // The same filter for the current buffer.
    let redacted =
        infill_context::redact(&std::fs::read_to_string(f.path("config.py")).unwrap()).into_owned();
    for secret in SECRETS {
        assert!(!redacted.contains(secret));
    }
    // Editor buffers of secret files are refused too.
    assert!(
        !f.index
            .update_file(&f.path(".env.local"), "TOKEN=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n")
    );
    assert!(!f.index.update_file(Path::new("/etc/outside.py"), "x = 1\n"));
}

#[test]
fn skips_binary_oversized_ignored_and_excluded_files() {
    let (dir, root) = write_fixture(
        r#"
//- /.gitignore
build/
//- /.infillignore
private/
//- /build/gen.py
def generated(): pass
//- /private/notes.py
def private_note(): pass
//- /vendor/lib.py
def vendored(): pass
//- /main.py
def main(): pass
"#,
    );
    std::fs::write(root.join("blob.py"), b"def x():\n\0\0\0binary").unwrap();
    std::fs::write(root.join("huge.py"), "x = 1\n".repeat(2000)).unwrap();
    let index = WorkspaceIndex::default();
    let options = IndexOptions {
        max_file_bytes: 4096,
        exclude_globs: vec!["vendor".into()],
        ..Default::default()
    };
    let progress = std::cell::RefCell::new(Vec::new());
    let report =
        index.index_root(&root, &options, &|done, total| progress.borrow_mut().push((done, total)));
    assert_eq!(index.paths(), [root.join("main.py")]);
    assert_eq!(report.indexed, 1);
    let reason = |name: &str| {
        report.skipped.iter().find(|s| s.path.ends_with(name)).map(|s| s.reason.clone())
    };
    assert_eq!(reason("blob.py"), Some(SkipReason::Binary));
    assert!(matches!(reason("huge.py"), Some(SkipReason::TooLarge { limit: 4096, .. })));
    assert_eq!(reason("vendor/lib.py"), Some(SkipReason::Excluded));
    assert_eq!(reason("private/notes.py"), None, "ignored files are silently skipped");
    assert_eq!(progress.borrow().last(), Some(&(3, 3)));
    // .infillignore also guards editor buffers.
    assert!(!index.update_file(&root.join("private/other.py"), "def x(): pass\n"));
    assert!(!index.update_file(&root.join("vendor/other.py"), "def x(): pass\n"));
    let json = serde_json::to_string(&report).unwrap();
    assert!(json.contains("\"reason\":\"binary\""));
    drop(dir);
}

#[cfg(unix)]
#[test]
fn never_follows_symlinks_out_of_the_root() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("leak.py"), "def leaked_function(): pass\n").unwrap();
    let (dir, root) = write_fixture("//- /main.py\nleaked_function()\n");
    std::os::unix::fs::symlink(outside.path().join("leak.py"), root.join("link.py")).unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("linkdir")).unwrap();
    let index = WorkspaceIndex::default();
    let report = index.index_root(&root, &IndexOptions::default(), &|_, _| {});
    assert_eq!(index.paths(), [root.join("main.py")]);
    assert!(
        report
            .skipped
            .iter()
            .any(|s| s.path.ends_with("link.py") && s.reason == SkipReason::Symlink)
    );
    assert!(index.definitions_named("leaked_function").is_empty());
    drop(dir);
}

#[test]
fn incremental_update_remove_rename() {
    let f = fixture(
        r#"
//- /a.py
from b import helper
helper()
//- /b.py
def helper():
    return 1
//- /c.py
def other():
    return 2
"#,
    );
    assert_eq!(f.resolved("a.py"), ["b.py"]);
    // An edit switches the import to c.py.
    let a = f.path("a.py");
    assert!(f.index.update_file(&a, "from c import other\nother()\n"));
    assert_eq!(f.resolved("a.py"), ["c.py"]);
    assert!(f.index.file_info(&f.path("b.py")).unwrap().importers.is_empty());
    assert_eq!(f.index.file_info(&f.path("c.py")).unwrap().importers, std::slice::from_ref(&a));
    // A new definition becomes findable at once.
    assert!(f.index.update_file(
        &f.path("c.py"),
        "def other():\n    return 2\n\ndef fresh_name():\n    pass\n"
    ));
    assert_eq!(f.index.definitions_named("fresh_name").len(), 1);
    // Removing c.py leaves a.py's import unresolved.
    assert!(f.index.remove_file(&f.path("c.py")));
    let info = f.index.file_info(&a).unwrap();
    assert_ne!(info.imports[0].status, "resolved");
    assert!(f.index.definitions_named("fresh_name").is_empty());
    // Renaming b.py to c.py resolves it again, and b.py is gone.
    assert!(f.index.rename_file(&f.path("b.py"), &f.path("c.py")));
    assert!(f.index.file_info(&f.path("b.py")).is_none());
    assert_eq!(f.resolved("a.py"), ["c.py"]);
    assert_eq!(f.index.definitions_named("helper")[0].path, f.path("c.py"));
    // A brand-new file appears through update_file and satisfies a waiting import.
    assert!(f.index.update_file(&a, "from d import late\nlate()\n"));
    assert_ne!(f.index.file_info(&a).unwrap().imports[0].status, "resolved");
    assert!(f.index.update_file(&f.path("d.py"), "def late():\n    pass\n"));
    assert_eq!(f.resolved("a.py"), ["d.py"]);
}

#[test]
fn default_max_file_size_is_one_mebibyte() {
    assert_eq!(IndexOptions::default().max_file_bytes, 1_048_576);
}

#[test]
fn rename_file_respects_the_size_limit() {
    let options = IndexOptions { max_file_bytes: 64, ..IndexOptions::default() };
    let f = fixture_with(
        r#"
//- /small.py
def small():
    return 1
//- /big.py
def big():
    return "a long enough body to be over the sixty-four byte limit"
"#,
        &options,
    );
    assert!(f.index.file_info(&f.path("small.py")).is_some());
    assert!(f.index.file_info(&f.path("big.py")).is_none(), "skipped: too large");
    // A small indexed file moves as before.
    std::fs::rename(f.path("small.py"), f.path("moved.py")).unwrap();
    assert!(f.index.rename_file(&f.path("small.py"), &f.path("moved.py")));
    assert_eq!(f.index.definitions_named("small")[0].path, f.path("moved.py"));
    // An unindexed file over the limit, renamed on disk, is not read into the index.
    std::fs::rename(f.path("big.py"), f.path("renamed_big.py")).unwrap();
    assert!(!f.index.rename_file(&f.path("big.py"), &f.path("renamed_big.py")));
    assert!(f.index.file_info(&f.path("renamed_big.py")).is_none());
    // Nor is an indexed text that grew past the limit (edits bring any size).
    let grown = format!("def grown():\n    return {:?}\n", "x".repeat(100));
    assert!(f.index.update_file(&f.path("moved.py"), &grown));
    assert!(f.index.rename_file(&f.path("moved.py"), &f.path("again.py")), "removed");
    assert!(f.index.file_info(&f.path("moved.py")).is_none());
    assert!(f.index.file_info(&f.path("again.py")).is_none());
    assert!(f.index.definitions_named("grown").is_empty());
}

#[test]
fn recency_and_similarity_bring_context() {
    let f = fixture(
        r#"
//- /notes/alpha.py
def unrelated():
    customer_ledger_balance = compute_ledger(customer_ledger_rows)
    return customer_ledger_balance
//- /notes/beta.py
def also_unrelated():
    return 1
//- /main.py
def work():
    customer_ledger_balance = compute_ledger(customer_ledger_rows)
"#,
    );
    f.index.note_opened(&f.path("notes/beta.py"));
    let result = f.rank_after("main.py", "customer_ledger_rows)", 1024);
    let alpha = result
        .snippets
        .iter()
        .find(|s| s.path == f.path("notes/alpha.py"))
        .expect("similar window");
    assert_eq!(alpha.kind, SnippetKind::Window);
    assert!(alpha.reason.contains("jaccard"));
}

#[test]
fn skeletons_when_bodies_do_not_fit_and_budget_holds() {
    let mut body = String::new();
    for i in 0..120 {
        body.push_str(&format!("        total += {i} * self.factor\n"));
    }
    let spec = format!(
        "//- /big.py\nclass Accumulator:\n    \"\"\"Adds numbers.\"\"\"\n    def add_all(self, items):\n        total = 0\n{body}        return total\n\n    def reset(self):\n        self.factor = 1\n//- /use.py\nfrom big import Accumulator\nacc = Accumulator()\nacc.add_all([1])\n"
    );
    let f = fixture(&spec);
    let result = f.rank_after("use.py", "acc = Accumulator", 300);
    assert!(result.tokens_used <= 300, "{}", result.tokens_used);
    let snippet =
        result.snippets.iter().find(|s| s.path == f.path("big.py")).expect("a snippet from big.py");
    assert_eq!(snippet.kind, SnippetKind::Skeleton, "{}", snippet.text);
    assert!(snippet.text.contains("class Accumulator"));
    assert!(snippet.text.contains("def add_all(self, items):"));
    assert!(snippet.text.contains("def reset(self):"));
    assert!(!snippet.text.contains("total += 5 * self.factor"));
}

#[test]
fn output_order_is_stable_across_keystrokes() {
    let f = fixture(
        r#"
//- /shapes.py
class Square:
    def area(self):
        return 1

def make_square():
    return Square()
//- /colors.py
def blend(a, b):
    return a
//- /main.py
from shapes import make_square
from colors import blend

def draw():
    s = make_square()
    c = blend(1, 2)
    return s
"#,
    );
    let text = std::fs::read_to_string(f.path("main.py")).unwrap();
    let first = text.find("s = make_square()").unwrap();
    let second = text.find("c = blend").unwrap() + 9;
    let a = f.index.rank(&ContextRequest::new(&f.path("main.py"), &text, first, 2048));
    let b = f.index.rank(&ContextRequest::new(&f.path("main.py"), &text, second, 2048));
    // Names imported explicitly are "stable": both requests start with them in path order.
    let stable = |r: &ContextResult| -> Vec<(PathBuf, u32)> {
        r.snippets
            .iter()
            .filter(|s| s.reason.contains("named in an import"))
            .map(|s| (s.path.clone(), s.start_line))
            .collect()
    };
    assert!(!stable(&a).is_empty());
    assert_eq!(stable(&a), stable(&b));
    assert_eq!(a.snippets[0].path, b.snippets[0].path);
    assert_eq!(a.snippets[0].start_line, b.snippets[0].start_line);
}

#[test]
fn context_result_serializes() {
    let f = fixture("//- /a.py\ndef alpha_fn():\n    pass\n//- /b.py\nalpha_fn()\n");
    let result = f.rank_after("b.py", "alpha_fn", 512);
    let json: serde_json::Value = serde_json::to_value(&result).unwrap();
    let snippet = &json["snippets"][0];
    for key in
        ["path", "start_line", "end_line", "score", "reason", "text", "kind", "relative_path"]
    {
        assert!(!snippet[key].is_null(), "missing {key}: {json}");
    }
    assert_eq!(snippet["relative_path"], "a.py");
}

#[test]
fn index_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<WorkspaceIndex>();
    assert_send_sync::<ContextResult>();
}
