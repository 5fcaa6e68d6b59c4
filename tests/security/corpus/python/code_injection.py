import ast


def calculate(expression):
    return eval(expression)  # expect: code-injection


def run_snippet(source, env):
    exec(source, env)  # expect: code-injection


def from_request(request):
    return eval(request.args.get("expr"))  # expect: code-injection


def formatted(name):
    exec(f"result = {name}()")  # expect: code-injection


def parse_literal(text):
    return ast.literal_eval(text)  # safe: code-injection


def constant_eval():
    return eval("1 + 2")  # safe: code-injection


def json_instead(payload):
    return json.loads(payload)  # safe: code-injection
