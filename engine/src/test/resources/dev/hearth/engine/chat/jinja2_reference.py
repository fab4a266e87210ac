#!/usr/bin/env python3
"""Writes jinja2-reference.json: how Hugging Face transformers' template environment (Python Jinja2,
trim_blocks and lstrip_blocks, tojson = json.dumps(ensure_ascii=False), raise_exception, strftime_now,
{% generation %}, loop controls) renders every template in ../shared/reference/chat-templates for a set of
conversations. ChatTemplateJinja2ReferenceTest compares Hearth's renderer with it.

Usage: python3 jinja2_reference.py /path/to/shared/reference/chat-templates > jinja2-reference.json
(needs only the jinja2 package; made with Jinja2 3.1.6)."""
import datetime, json, os, sys

import jinja2
from jinja2 import nodes
from jinja2.exceptions import TemplateError
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

NOW = datetime.datetime(2025, 2, 3, 10, 0, 0)  # the test renders with a clock fixed at this instant (UTC)


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


class AssistantTracker(Extension):
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker, loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = lambda fmt: NOW.strftime(fmt)

BOS, EOS = "<BOS>", "<EOS>"
S = {"role": "system", "content": "You are a helpful bot."}
U1 = {"role": "user", "content": "Hello there!"}
A1 = {"role": "assistant", "content": "Hi! How can I help?"}
U2 = {"role": "user", "content": "Tell me a joke."}
TRICKY = {"role": "user", "content": "  Spaces, \"quotes\", 'apostrophes', back\\slash,\nnew line, tab\t, unicode é 日本 😀, braces {{ x }} {% if %}  "}
THINK = {"role": "assistant", "content": "<think>hmm</think>Answer"}
TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Get the weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"},
                                                          "unit": {"type": "string", "enum": ["c", "f"], "description": "Unit"}},
                       "required": ["city"]}}}
CALL = {"role": "assistant", "content": None, "tool_calls": [{"id": "call12345", "type": "function",
        "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]}
CALL_STR = {"role": "assistant", "content": None, "tool_calls": [{"id": "call12345", "type": "function",
            "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]}
RESULT = {"role": "tool", "tool_call_id": "call12345", "name": "get_weather", "content": "{\"temp\": 21.5}"}

CONVERSATIONS = {"sys": [S, U1, A1, U2], "nosys": [U1, A1, U2], "single": [U1], "tricky": [TRICKY],
                 "think": [U1, THINK, U2], "empty": [{"role": "user", "content": ""}]}
TOOL_CONVERSATIONS = {"tools_ask": [U1], "tools_call": [U1, CALL, RESULT], "tools_call_str": [U1, CALL_STR, RESULT]}


def case(template, name, messages, gen, variables):
    c = {"template": template, "name": name, "messages": messages, "add_generation_prompt": gen, "variables": variables}
    src = open(os.path.join(sys.argv[1], template), encoding="utf-8").read()
    try:
        c["expected"] = env.from_string(src).render(messages=messages, bos_token=BOS, eos_token=EOS,
                                                    add_generation_prompt=gen, **variables)
    except TemplateError as e:
        c["error"] = "%s: %s" % (type(e).__name__, e)
    except Exception as e:  # TypeError etc.: Python-only failures
        c["error"] = "%s: %s" % (type(e).__name__, e)
    return c


cases = []
for f in sorted(os.listdir(sys.argv[1])):
    if not f.endswith(".jinja"):
        continue
    for name, conv in CONVERSATIONS.items():
        for gen in (True, False):
            cases.append(case(f, name, conv, gen, {}))
    for name, conv in TOOL_CONVERSATIONS.items():
        cases.append(case(f, name, conv, True, {"tools": [TOOL]}))
FF = "fireworks-ai-llama-3-firefunction-v2.jinja"
for name, conv in CONVERSATIONS.items():  # the variables llama.cpp passes to this template
    cases.append(case(FF, "ff_" + name, conv, True, {"functions": json.dumps([TOOL], indent=2), "datetime": "Jan 29 2025 13:00:00 GMT"}))
L31 = "meta-llama-Llama-3.1-8B-Instruct.jinja"
for v in [{"date_string": "01 Jan 2030"}, {"tools": [TOOL], "tools_in_user_message": False},
          {"builtin_tools": ["brave_search", "code_interpreter"]}]:
    cases.append(case(L31, "l31_" + "_".join(v), CONVERSATIONS["sys"], True, v))
json.dump({"generator": "jinja2 " + jinja2.__version__, "bos_token": BOS, "eos_token": EOS,
           "now": NOW.isoformat() + "Z", "cases": cases}, sys.stdout, ensure_ascii=False, separators=(",", ":"))
