//! Import resolution through the fixture projects, one test per language family: every
//! import style of `grammars/languages.toml` resolves to the files it names.

mod common;

use common::*;

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
