"""`infill serve` driven by the official OpenAI and Ollama Python clients, streaming and not.

Run by tests/serve/run.sh: starts `$INFILL_BIN serve --port 0` (with `--config
$INFILL_SERVE_CONFIG` when set, else the default model at $INFILL_TEST_MODEL) and checks that
each client gets answers of the shape it expects, and that a greedy answer is the same
streamed and not.
"""
import os
import re
import subprocess
import sys
import tempfile
import unittest

import ollama
import openai

PROMPT = "def add(a, b):\n    return"


def start_server():
    binary = os.environ["INFILL_BIN"]
    config = os.environ.get("INFILL_SERVE_CONFIG")
    if not config:
        model = os.environ["INFILL_TEST_MODEL"]
        handle = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
        handle.write(f'[model]\npath = "{model}"\n')
        handle.close()
        config = handle.name
    os.environ["INFILL_SERVE_TEST_TOKEN"] = "serve-test-token"
    process = subprocess.Popen(
        [binary, "--config", config, "serve", "--port", "0", "--token-env", "INFILL_SERVE_TEST_TOKEN"],
        stderr=subprocess.PIPE,
        text=True,
    )
    for line in process.stderr:
        sys.stderr.write(line)
        found = re.search(r"on http://([0-9.]+:[0-9]+) ", line)
        if found:
            return process, found.group(1)
    raise RuntimeError(f"infill serve exited with {process.wait()}")


class Clients(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.process, address = start_server()
        cls.openai = openai.OpenAI(base_url=f"http://{address}/v1", api_key="serve-test-token", max_retries=0)
        cls.ollama = ollama.Client(host=f"http://{address}", headers={"Authorization": "Bearer serve-test-token"})
        cls.address = address

    @classmethod
    def tearDownClass(cls):
        cls.process.terminate()
        cls.process.wait()

    def test_openai_models_and_a_wrong_key(self):
        models = self.openai.models.list()
        self.assertEqual(len(models.data), 1)
        wrong = openai.OpenAI(base_url=f"http://{self.address}/v1", api_key="wrong", max_retries=0)
        with self.assertRaises(openai.AuthenticationError):
            wrong.models.list()

    def test_openai_completions_streamed_and_not(self):
        whole = self.openai.completions.create(model="any", prompt=PROMPT, max_tokens=8, temperature=0)
        self.assertEqual(whole.object, "text_completion")
        text = whole.choices[0].text
        self.assertTrue(text)
        self.assertIn(whole.choices[0].finish_reason, ("stop", "length"))
        self.assertGreater(whole.usage.completion_tokens, 0)
        chunks = self.openai.completions.create(
            model="any", prompt=PROMPT, max_tokens=8, temperature=0, stream=True,
            stream_options={"include_usage": True})
        streamed, usage = "", None
        for chunk in chunks:
            if chunk.choices:
                streamed += chunk.choices[0].text
            if chunk.usage:
                usage = chunk.usage
        self.assertEqual(streamed, text, "greedy: the same text streamed and not")
        self.assertIsNotNone(usage)

    def test_openai_chat_streamed_and_not(self):
        messages = [{"role": "user", "content": "Say hello."}]
        whole = self.openai.chat.completions.create(model="any", messages=messages, max_tokens=8, temperature=0)
        self.assertEqual(whole.choices[0].message.role, "assistant")
        text = whole.choices[0].message.content
        self.assertTrue(text)
        streamed = "".join(
            chunk.choices[0].delta.content or ""
            for chunk in self.openai.chat.completions.create(
                model="any", messages=messages, max_tokens=8, temperature=0, stream=True)
            if chunk.choices)
        self.assertEqual(streamed, text)

    def test_ollama_list_generate_raw_and_chat(self):
        listed = self.ollama.list()
        self.assertEqual(len(listed.models), 1)
        options = {"temperature": 0, "num_predict": 8}
        whole = self.ollama.generate(model="any", prompt=PROMPT, raw=True, stream=False, options=options)
        self.assertTrue(whole.done)
        self.assertTrue(whole.response)
        streamed = "".join(part.response for part in self.ollama.generate(
            model="any", prompt=PROMPT, raw=True, stream=True, options=options))
        self.assertEqual(streamed, whole.response)
        chat = self.ollama.chat(model="any", messages=[{"role": "user", "content": "Say hello."}],
                                stream=False, options=options)
        self.assertEqual(chat.message.role, "assistant")
        self.assertTrue(chat.message.content)
        parts = list(self.ollama.chat(model="any", messages=[{"role": "user", "content": "Say hello."}],
                                      stream=True, options=options))
        self.assertTrue(parts[-1].done)
        self.assertEqual("".join(p.message.content for p in parts), chat.message.content)


if __name__ == "__main__":
    unittest.main(verbosity=2)
