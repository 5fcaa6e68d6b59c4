function calculate(expression) {
  return eval(expression); // expect: code-injection
}

function compile(body) {
  return new Function("input", body); // expect: code-injection
}

function later(name) {
  setTimeout("run" + name + "()", 100); // expect: code-injection
}

function sandbox(vm, code) {
  return vm.runInNewContext(code, {}); // expect: code-injection
}

function parse(text) {
  return JSON.parse(text); // safe: code-injection
}

function laterSafely(fn) {
  setTimeout(fn, 100); // safe: code-injection
}

function constantEval() {
  return eval("2 + 2"); // safe: code-injection
}
