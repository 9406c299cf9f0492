"""Regenerates jinja_cases.json: each template rendered by real Jinja2 configured as transformers'
apply_chat_template configures it (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols,
tojson = json.dumps with ensure_ascii=False, raise_exception). Run: python3 make_jinja_cases.py"""
import json

import jinja2
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


class Generation(Extension):
    """Like transformers' AssistantTracker when no mask is asked for: {% generation %} renders its body."""
    tags = {"generation"}

    def parse(self, parser):
        next(parser.stream)
        return parser.parse_statements(("name:endgeneration",), drop_needle=True)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[Generation, loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception

MSGS = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Hello"},
    {"role": "assistant", "content": "  Hi there \n"},
    {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What is it?"}]},
]

CASES = [
    # whitespace control
    ("text only", "plain text\n", {}),
    ("trailing newline kept once", "a\n\n", {}),
    ("trim_blocks", "{% if true %}\nyes\n{% endif %}\nafter", {}),
    ("lstrip_blocks", "line\n    {% if true %}\n    kept indent\n    {% endif %}\nend", {}),
    ("lstrip not for variables", "  {{ 'v' }}\n  x", {}),
    ("minus strips", "a   \n  {%- if true -%}  \n  b  \n  {%- endif -%}\n  c", {}),
    ("minus on variables", "a  {{- 'b' -}}  c {{ 'd' }} e", {}),
    ("plus disables lstrip", "x\n    {%+ if true %}y{% endif %}", {}),
    ("plus disables trim", "{% if true +%}\nz{% endif %}", {}),
    ("comments", "a{# note #}b\n  {# own line #}\nc {#- strip -#}   d", {}),
    ("raw block", "{% raw %}{{ not evaluated }}{% endraw %}", {}),
    ("crlf newlines", "{% if true %}\r\na\r\n{% endif %}\r\nb", {}),
    # loops
    ("loop vars", "{% for x in xs %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }};{% endfor %}", {"xs": ["a", "b", "c"]}),
    ("for else", "{% for x in xs %}{{ x }}{% else %}empty{% endfor %}", {"xs": []}),
    ("for filter", "{% for x in xs if x > 1 %}{{ loop.index }}:{{ x }} {% endfor %}", {"xs": [1, 2, 3]}),
    ("for unpack items", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", {"d": {"b": 1, "a": 2}}),
    ("for over dict", "{% for k in d %}{{ k }}{% endfor %}", {"d": {"x": 1, "y": 2}}),
    ("nested loops", "{% for a in [1,2] %}{% for b in 'xy' %}{{ loop.index }}{{ a }}{{ b }} {% endfor %}{{ loop.index }}|{% endfor %}", {}),
    ("break continue", "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x > 4 %}{% break %}{% endif %}{{ x }}{% endfor %}", {}),
    ("loop previtem nextitem cycle", "{% for x in [1,2,3] %}{{ loop.previtem }}-{{ loop.nextitem }}-{{ loop.cycle('o','e') }} {% endfor %}", {}),
    ("set in loop does not leak", "{% set x = 0 %}{% for i in [1,2] %}{{ x }}{% set x = i %}{{ x }}{% endfor %}{{ x }}", {}),
    ("namespace", "{% set ns = namespace(n=0, seen=false) %}{% for i in [1,2,3] %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }} {{ ns.seen }}", {}),
    ("reverse slice loop", "{% for m in messages[::-1] %}{{ m.role }} {% endfor %}|{{ messages[1:3]|map(attribute='role')|join(',') }}", {"messages": MSGS}),
    # conditions and tests
    ("if elif else", "{% for v in [1, 'a', none, [1], {'k': 1}] %}{% if v is number %}n{% elif v is string %}s{% elif v is none %}0{% elif v is mapping %}m{% elif v is iterable %}i{% else %}?{% endif %}{% endfor %}", {}),
    ("defined tests", "{{ x is defined }} {{ y is defined }} {{ y is undefined }} {{ x is not none }} {{ tools is none }}", {"x": 1, "tools": None}),
    ("undefined renders empty", "[{{ missing }}][{{ d.nokey }}][{{ d['nokey'] }}]", {"d": {}}),
    ("undefined is falsy", "{% if missing %}t{% else %}f{% endif %}{% if not d.x %}!{% endif %}{{ missing|length }}", {"d": {}}),
    ("in and not in", "{{ 'a' in 'cat' }} {{ 'z' not in 'cat' }} {{ 2 in [1,2] }} {{ 'k' in {'k': 1} }} {{ 'image' in {'type': 'image'} }}", {}),
    ("comparisons", "{{ 1 < 2 }} {{ 2 >= 2 }} {{ 'a' < 'b' }} {{ 1 == 1.0 }} {{ true == 1 }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ [1,2] == [1,2] }}", {}),
    ("boolean operators", "{{ 0 or 'x' }} {{ 'a' and 'b' }} {{ none or [] }} {{ not 0 }} {{ not [] and 1 }}", {}),
    ("divisibleby odd even", "{{ 6 is divisibleby 3 }} {{ 3 is odd }} {{ 3 is even }} {{ x is sameas true }} {{ 2 is eq 2 }}", {"x": True}),
    ("test on attribute of message", "{% if messages[0]['role'] == 'system' %}{{ messages[0]['content'] }}{% endif %}{% if messages[3].content is not string %}list{% endif %}", {"messages": MSGS}),
    ("ternary", "{{ 'y' if x else 'n' }} {{ 'y' if not x else 'n' }} [{{ 'only' if false }}]", {"x": True}),
    # operators and literals
    ("arithmetic", "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 1 - -1 }} {{ 0.1 + 0.2 }}", {}),
    ("string ops", "{{ 'a' ~ 1 ~ none ~ true }} {{ 'ab' + 'cd' }} {{ 'ab' * 3 }} {{ [1] + [2] }}", {}),
    ("string escapes", "{{ 'tab\\there' }}|{{ \"q\\\"uote\" }}|{{ 'new\\nline' }}|{{ '\\u00e9' }}|{{ 'a' 'b' }}", {}),
    ("literals print python style", "{{ [1, 'two', 3.5, none, true, {'k': 'v'}] }} {{ (1, 2) }} {{ {'a': [1]} }} {{ 1e-5 }} {{ 1e16 }} {{ 123456789.0 }} {{ 2.50 }}", {}),
    ("repr quotes", "{{ [\"it's\", 'say \"hi\"', 'both \\' \"', 'nl\\n'] }}", {}),
    ("integers and floats from data", "{{ i }} {{ f }} {{ i + f }} {{ i * 2 }} {{ f is float }} {{ i is integer }}", {"i": 3, "f": 0.5}),
    # filters
    ("trim length string", "[{{ '  x  '|trim }}][{{ 'xxhixx'|trim('x') }}]{{ [1,2,3]|length }}{{ 'héllo'|length }}{{ {'a':1}|count }}{{ 5|string ~ 'x' }}", {}),
    ("lower upper capitalize title", "{{ 'AbC'|lower }} {{ 'abc'|upper }} {{ 'hELLO wORLD'|capitalize }} {{ 'hello big-world'|title }}", {}),
    ("default filter", "{{ missing|default('d') }} {{ none|default('d') }} {{ ''|default('d', true) }} {{ 'v'|d('x') }}", {}),
    ("join first last", "{{ [1,2,3]|join('-') }} {{ ['a','b']|join }} {{ [1,2,3]|first }} {{ [1,2,3]|last }} {{ 'abc'|first }} {{ messages|map(attribute='role')|join(', ') }}", {"messages": MSGS}),
    ("items filter", "{% for k, v in d|items %}{{ k }}:{{ v }} {% endfor %}", {"d": {"z": 1, "a": [2]}}),
    ("replace", "{{ 'a-b-c'|replace('-', '+') }} {{ 'a-b-c'|replace('-', '', 1) }}", {}),
    ("tojson", "{{ d|tojson }}|{{ d|tojson(indent=2) }}|{{ 'é\"\\n'|tojson }}|{{ [1.0, none, true]|tojson }}|{{ d|tojson(sort_keys=true) }}", {"d": {"name": "f", "args": {"x": [1, 2], "y": None}, "z": 1.5}}),
    ("tojson nested empty", "{{ {'a': [], 'b': {}}|tojson(indent=4) }}", {}),
    ("list reverse sort unique", "{{ 'abc'|list }} {{ [3,1,2]|sort }} {{ [3,1,2]|sort(reverse=true) }} {{ [1,2]|reverse|list }} {{ ['b','A','a']|sort }} {{ [1,1,2]|unique|list }}", {}),
    ("int float abs round", "{{ '42'|int + 1 }} {{ 'x'|int }} {{ '2.5'|float }} {{ -3|abs }} {{ 2.567|round(2) }} {{ 2.5|round }} {{ 3.7|round(method='floor') }}", {}),
    ("select reject selectattr", "{{ [0,1,2,3]|select('odd')|list }} {{ [0,1,2]|reject|list }} {{ messages|selectattr('role', 'equalto', 'user')|list|length }} {{ messages|rejectattr('role', 'eq', 'user')|map(attribute='role')|list }}", {"messages": MSGS}),
    ("map filter by name", "{{ ['a','b']|map('upper')|join }}", {}),
    ("indent", "{{ 'a\\nb\\n\\nc'|indent(2) }}|{{ 'a\\nb'|indent(2, true) }}", {}),
    ("sum min max", "{{ [1,2,3]|sum }} {{ [3,1,2]|min }} {{ [3,1,2]|max }}", {}),
    ("dictsort", "{% for k, v in {'b': 1, 'a': 2}|dictsort %}{{ k }}{{ v }}{% endfor %}", {}),
    ("filter block", "{% filter upper %}shout {{ 'this' }}{% endfilter %}", {}),
    # methods
    ("string methods", "[{{ '  s  '.strip() }}][{{ 'xxsxx'.strip('x') }}][{{ '  s'.lstrip() }}][{{ 's  '.rstrip() }}] {{ 'abc'.startswith('ab') }} {{ 'abc'.endswith(('x', 'c')) }} {{ 'a b  c'.split() }} {{ 'a,b,,c'.split(',') }} {{ 'a,b,c'.split(',', 1) }} {{ 'a,b,c'.rsplit(',', 1) }}", {}),
    ("more string methods", "{{ 'AbC'.lower() }} {{ 'abc'.upper() }} {{ 'a-b'.replace('-', '') }} {{ 'hello'.find('l') }} {{ ', '.join(['x', 'y']) }} {{ 'hello world'.title() }} {{ 'abc'.count('b') }}", {}),
    ("dict methods", "{{ d.get('a') }} {{ d.get('z') }} {{ d.get('z', 'dflt') }} {{ d.keys()|list }} {{ d.values()|list }} {{ d.items()|list }}", {"d": {"a": 1, "b": 2}}),
    ("think split", "{% set c = '<think>\\nreason\\n</think>\\n\\nanswer' %}{{ c.split('</think>')[-1].lstrip('\\n') }}|{{ c.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') }}", {}),
    ("indexing", "{{ xs[0] }} {{ xs[-1] }} {{ xs.1 }} [{{ xs[10] }}] {{ 'hello'[1] }} {{ 'hello'[1:3] }} {{ 'hello'[::-1] }} {{ xs[:-1] }} {{ xs[5:] }}", {"xs": [1, 2, 3]}),
    # set and macros
    ("set forms", "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set t = (3, 4) %}{{ t[1] }}{% set block %}inside {{ a }}{% endset %}[{{ block }}]", {}),
    ("macro", "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('A') }} {{ greet('B', '?') }} {{ greet(name='C', punct='.') }}", {}),
    ("macro with loop", "{% macro render(ms) %}{% for m in ms %}<{{ m.role }}>{% endfor %}{% endmacro %}{{ render(messages) }}", {"messages": MSGS}),
    ("dict literal and list literal", "{% set d = {'a': 1, 'b': [1, 2], 'c': {'x': none}} %}{{ d.b[1] }}{{ d['c'].x }}{{ d|length }}{{ [1, [2, 3]][1][0] }}", {}),
    ("generation block", "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}{% endif %}{% endfor %}", {"messages": MSGS}),
    # realistic chat templates
    ("chatml", "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + (message['content'] if message['content'] is string else '<list>') + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}", {"messages": MSGS, "add_generation_prompt": True}),
    ("indented template", """{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content'] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set system_message = 'default' %}
    {%- set loop_messages = messages %}
{%- endif %}
<<SYS>>{{ system_message }}<</SYS>>
{% for message in loop_messages %}
    {% if message['role'] == 'user' %}
        [INST] {{ message['content'] if message['content'] is string else message['content'][1]['text'] }} [/INST]
    {% elif message['role'] == 'assistant' %}
        {{ message['content'] | trim }}</s>
    {% endif %}
{% endfor %}
""", {"messages": MSGS}),
    ("tools template", """{%- if tools %}
{{- '<|im_start|>system\\n' }}
{%- for tool in tools %}
{{- '\\n' }}{{ tool | tojson }}
{%- endfor %}
{{- '<|im_end|>\\n' }}
{%- endif %}
{%- for message in messages %}
{%- if message.role == 'user' or (message.role == 'assistant' and not message.tool_calls) %}
{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
{%- elif message.role == 'assistant' %}
{{- '<|im_start|>' + message.role }}
{%- for tool_call in message.tool_calls %}
{%- if tool_call.function is defined %}{%- set tool_call = tool_call.function %}{%- endif %}
{{- '\\n<tool_call>\\n{"name": "' }}{{- tool_call.name }}{{- '", "arguments": ' }}{{- tool_call.arguments | tojson }}{{- '}\\n</tool_call>' }}
{%- endfor %}
{{- '<|im_end|>\\n' }}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}
""", {"tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
      "messages": [{"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]}],
      "add_generation_prompt": True}),
    # precedence and edge cases
    ("concat binds tighter than plus", "{{ 'a' ~ 2 * 3 }} {{ -1|abs }} {{ not x is defined }} {{ 2 + 3 * 4 - 1 }} {{ 2 ** 3 ** 2 }}", {}),
    ("text before tag keeps spaces", "a  {% if true %}b{% endif %}  c\n\t{% if true %}\td{% endif %}", {}),
    ("tags inside strings", "{{ '{{' }}{{ '}}' }}{% if '%}' in x %}yes{% endif %}{{ \"{% raw %}\" }}", {"x": "a%}b"}),
    ("filtered loop last", "{% for x in xs if x is string %}{{ x }}{{ ',' if not loop.last }}{% endfor %}", {"xs": ["a", 1, "b", None, "c"]}),
    ("unicode", "{{ 'é🌍x'|length }} {{ 'é🌍x'[1] }} {{ 'éa'|upper }} {{ 'é🌍x'[::-1] }} {{ ['é']|tojson }} {{ ['é']|tojson(ensure_ascii=true) }}", {}),
    ("whitespace only lines", "{% for i in [1,2] %}\n  {{ i }}\n{% endfor %}\n", {}),
    ("elif chain whitespace", "{%- for m in ms -%}\n  {%- if m == 1 -%}\n    one\n  {%- elif m == 2 -%}\n    two\n  {%- else -%}\n    other\n  {%- endif -%}\n{%- endfor -%}", {"ms": [1, 2, 3]}),
    ("nested namespace counters", "{% set ns = namespace(img=0, vid=0) %}{% for m in messages %}{% if m.content is not string %}{% for c in m.content %}{% if c.type == 'image' %}{% set ns.img = ns.img + 1 %}[img {{ ns.img }}]{% endif %}{% endfor %}{% endif %}{% endfor %}{{ ns.img }}", {"messages": [{"role": "user", "content": [{"type": "image"}, {"type": "image"}]}, {"role": "user", "content": "x"}, {"role": "user", "content": [{"type": "image"}]}]}),
    ("last user index", "{%- set ns = namespace(last=-1) %}{%- for m in messages[::-1] %}{%- set index = (messages|length - 1) - loop.index0 %}{%- if ns.last == -1 and m.role == 'user' %}{%- set ns.last = index %}{%- endif %}{%- endfor %}{{ ns.last }}", {"messages": [{"role": "user"}, {"role": "assistant"}, {"role": "user"}, {"role": "assistant"}]}),
    ("message attributes", "{% for m in messages %}{{ m.role }}:{{ m['content'] if m.content is string else m.content|map(attribute='type')|join('+') }};{% endfor %}", {"messages": [{"role": "user", "content": "hi"}, {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "t"}]}]}),
    ("none and booleans print", "{{ none }} {{ true }} {{ false }} {{ [none] }} {{ x }} {{ y }}", {"x": None, "y": False}),
    ("float printing", "{{ 1.0 }} {{ 0.1 * 3 }} {{ 1 / 3 }} {{ 100.0 / 4 }} {{ 1e300 * 1e10 }} {{ 12345678901234567.0 }} {{ 0.0001 }} {{ 0.00001 }} {{ -2.5e-7 }}", {}),
    ("int from data and big", "{{ n }} {{ n + 1 }} {{ n * n }} {{ 10 // 3 }} {{ n > 5 }}", {"n": 12845056}),
    ("macro default uses other var", "{% set sep = '|' %}{% macro j(xs, s=sep) %}{{ xs|join(s) }}{% endmacro %}{{ j([1,2]) }} {{ j([1,2], '-') }}", {}),
    ("comment spanning lines", "a\n{#\n multi\n line\n#}\nb", {}),
    ("is sequence and callable", "{{ [1] is sequence }} {{ 'x' is sequence }} {{ 1 is sequence }} {{ range is callable }} {{ {} is iterable }} {{ 1 is iterable }}", {}),
]

ERRORS = [
    ("unclosed if", "line1\n{% if x %}never closed", {}),
    ("unknown tag", "ok\n  {% frobnicate %}", {}),
    ("bad expression", "{{ 1 + }}", {}),
    ("unterminated string", "a\nb {{ 'abc }}", {}),
    ("unknown filter", "{{ x|nosuchfilter }}", {}),
    ("missing endfor", "{% for x in y %}", {}),
]

RUNTIME_ERRORS = [
    ("raise_exception", "{% if true %}{{ raise_exception('Conversation roles must alternate') }}{% endif %}", {}),
    ("undefined arithmetic", "{{ missing + 1 }}", {}),
    ("type error", "{{ 'a' + 1 }}", {}),
    ("list append is unsafe", "{% set l = [] %}{{ l.append(1) }}", {}),
]

out = []
for name, src, variables in CASES:
    out.append({"name": name, "template": src, "vars": variables, "expected": env.from_string(src).render(**variables)})
for name, src, variables in ERRORS:
    try:
        env.from_string(src)
        raise SystemExit("expected a syntax error: " + name)
    except jinja2.TemplateSyntaxError as e:
        out.append({"name": name, "template": src, "vars": variables, "syntax_error_line": e.lineno})
for name, src, variables in RUNTIME_ERRORS:
    try:
        env.from_string(src).render(**variables)
        raise SystemExit("expected a render error: " + name)
    except Exception as e:
        out.append({"name": name, "template": src, "vars": variables, "render_error": str(e)})

with open("jinja_cases.json", "w", encoding="utf-8") as f:
    json.dump(out, f, ensure_ascii=False, indent=1)
    f.write("\n")
print(len(out), "cases")
