"""Validation of Go ``text/template`` in alert annotations and labels, as Prometheus parses them.

Prometheus expands ``{{ $labels.instance }}``, ``{{ $value | humanizePercentage }}`` and
friends with Go templates; a template that does not parse makes Prometheus refuse the
whole rule file. This checker follows the Go lexer and parser closely enough to report
what they report: unclosed actions, unterminated strings, unknown functions, undefined
variables, unbalanced ``if``/``range``/``with``/``end``. Pure: text in, error out.
"""

from __future__ import annotations

from dataclasses import dataclass

# Go's builtins plus the functions Prometheus adds for alert templates.
FUNCTIONS = frozenset(
    {
        # text/template builtins
        "and", "call", "html", "index", "slice", "js", "len", "not", "or", "print",
        "printf", "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne",
        # Prometheus (template/template.go)
        "query", "first", "label", "value", "strvalue", "args", "reReplaceAll", "safeHtml",
        "match", "title", "toUpper", "toLower", "graphLink", "tableLink", "sortByLabel",
        "humanize", "humanize1024", "humanizeDuration", "humanizePercentage",
        "humanizeTimestamp", "toTime", "toDuration", "pathPrefix", "externalURL",
        "parseDuration", "stripPort", "stripDomain", "now",
    }
)  # fmt: skip
PREDEFINED = frozenset({"$", "$labels", "$externalLabels", "$externalURL", "$value"})
_OPENERS = frozenset({"if", "range", "with", "define", "block"})
_CONSTANTS = frozenset({"true", "false", "nil"})


class TemplateError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # ident var field string number char pipe lparen rparen declare assign comma dot
    text: str


def template_error(text: str, name: str = "template") -> str | None:
    """The Go parser's complaint about ``text`` (``template: NAME:LINE: reason``), or None."""
    try:
        check_template(text)
    except TemplateError as exc:
        line, _, reason = str(exc).partition("\x00")
        return f"template: {name}:{line}: {reason}"
    return None


def check_template(text: str) -> None:
    stack: list[str] = []
    scopes: list[set[str]] = [set(PREDEFINED)]
    pos = 0
    while True:
        start = text.find("{{", pos)
        if start < 0:
            break
        line = text.count("\n", 0, start) + 1
        inner_start = start + 2
        if (
            text.startswith("- ", inner_start)
            or text.startswith("-\t", inner_start)
            or (text.startswith("-\n", inner_start))
        ):
            inner_start += 1
        stripped = text[inner_start:].lstrip(" \t\r\n")
        if stripped.startswith("/*"):
            comment_start = text.index("/*", inner_start)
            close = text.find("*/", comment_start + 2)
            if close < 0:
                _fail(line, "unclosed comment")
            after = text[close + 2 :]
            trimmed = after.lstrip(" \t\r\n")
            if trimmed.startswith("-}}") and after[:1].isspace():
                pos = close + 2 + (len(after) - len(trimmed)) + 3
            elif after.startswith("}}"):
                pos = close + 4
            else:
                _fail(line, "comment ends before closing delimiter")
            continue
        tokens, pos = _lex_action(text, inner_start, line)
        _check_action(tokens, line, stack, scopes)
    if stack:
        last_line = text.count("\n") + 1
        _fail(
            last_line, f"unexpected EOF (missing {{{{end}}}} for {{{{{stack[-1].split('+')[0]}}}}})"
        )


def _fail(line: int, reason: str) -> None:
    raise TemplateError(f"{line}\x00{reason}")


_PUNCTUATION = {"|": "pipe", "(": "lparen", ")": "rparen", ",": "comma", "=": "assign"}


def _lex_action(text: str, i: int, line: int) -> tuple[list[_Token], int]:
    tokens: list[_Token] = []
    n = len(text)
    while True:
        if i >= n:
            _fail(line, "unclosed action")
        c = text[i]
        if text.startswith("}}", i):
            return tokens, i + 2
        if c in " \t\r\n":
            j = i
            while j < n and text[j] in " \t\r\n":
                j += 1
            if text.startswith("-}}", j):
                return tokens, j + 3
            if "\n" in text[i:j]:
                # Go allows newlines inside actions since 1.16; keep going.
                pass
            i = j
            continue
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                if text[j] == "\\":
                    j += 1
                elif text[j] == "\n":
                    _fail(line, "unterminated quoted string")
                j += 1
            if j >= n:
                _fail(line, "unterminated quoted string")
            tokens.append(_Token("string", text[i : j + 1]))
            i = j + 1
            continue
        if c == "`":
            j = text.find("`", i + 1)
            if j < 0:
                _fail(line, "unterminated raw quoted string")
            tokens.append(_Token("string", text[i : j + 1]))
            i = j + 1
            continue
        if c == "'":
            j = i + 1
            while j < n and text[j] != "'":
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                _fail(line, "unterminated character constant")
            tokens.append(_Token("char", text[i : j + 1]))
            i = j + 1
            continue
        if text.startswith(":=", i):
            tokens.append(_Token("declare", ":="))
            i += 2
            continue
        if c in _PUNCTUATION:
            tokens.append(_Token(_PUNCTUATION[c], c))
            i += 1
            continue
        if c == "$" or c == ".":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] in "_."):
                j += 1
            word = text[i:j]
            if c == "$":
                tokens.append(_Token("var", word))
            else:
                tokens.append(_Token("dot" if word == "." else "field", word))
            i = j
            continue
        if c.isdigit() or (c in "+-" and i + 1 < n and text[i + 1].isdigit()):
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] in "._+-"):
                j += 1
            tokens.append(_Token("number", text[i:j]))
            i = j
            continue
        if c.isalpha() or c == "_":
            j = i
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            # a chained field after an identifier or paren: `(x).Field`
            tokens.append(_Token("ident", text[i:j]))
            i = j
            continue
        _fail(line, f"unexpected {c!r} in command")


def _check_action(
    tokens: list[_Token], line: int, stack: list[str], scopes: list[set[str]]
) -> None:
    if not tokens:
        _fail(line, "missing value for command")
    first = tokens[0]
    keyword = first.text if first.kind == "ident" else ""
    rest = tokens[1:]
    if keyword == "end":
        if rest:
            _fail(line, f"unexpected {rest[0].text!r} in end")
        if not stack:
            _fail(line, "unexpected {{end}}")
        stack.pop()
        scopes.pop()
        return
    if keyword == "else":
        if stack and stack[-1].endswith("+else"):
            _fail(line, "expected end; found {{else}}")
        if not stack or stack[-1] not in ("if", "range", "with"):
            _fail(line, "unexpected {{else}}")
        scopes[-1] = set()
        if rest:
            if rest[0].kind == "ident" and rest[0].text in ("if", "with"):
                _check_pipeline(rest[1:], line, scopes, allow_decl=True)
                return
            _fail(line, f"unexpected {rest[0].text!r} in else")
        stack[-1] += "+else"  # only {{end}} may follow a final {{else}}
        return
    if keyword in ("break", "continue"):
        if "range" not in stack:  # the body of a range, not its {{else}}
            _fail(line, f"{{{{{keyword}}}}} outside {{{{range}}}}")
        return
    if keyword in ("define", "block", "template"):
        if not rest or rest[0].kind != "string":
            _fail(line, f"missing name in {{{{{keyword}}}}}")
        if keyword == "template":
            if len(rest) > 1:
                _check_pipeline(rest[1:], line, scopes, allow_decl=False)
            return
        if keyword == "block" and len(rest) > 1:
            _check_pipeline(rest[1:], line, scopes, allow_decl=False)
        stack.append(keyword)
        scopes.append(set())
        return
    if keyword in _OPENERS:
        if not rest:
            _fail(line, f"missing value for {keyword}")
        stack.append(keyword)
        scopes.append(set())
        _check_pipeline(rest, line, scopes, allow_decl=True, range_decl=keyword == "range")
        return
    _check_pipeline(tokens, line, scopes, allow_decl=True)


def _defined(var: str, scopes: list[set[str]]) -> bool:
    base = var.split(".", 1)[0]
    return any(base in scope for scope in scopes)


def _check_pipeline(
    tokens: list[_Token],
    line: int,
    scopes: list[set[str]],
    *,
    allow_decl: bool,
    range_decl: bool = False,
) -> None:
    # declarations: `$x :=` / `$x =` / range `$i, $e :=`
    decl_at = next((k for k, t in enumerate(tokens) if t.kind in ("declare", "assign")), None)
    if decl_at is not None:
        names = tokens[:decl_at]
        wanted = [t for t in names if t.kind != "comma"]
        if range_decl and len(wanted) > 2:
            _fail(line, "too many declarations in range")
        if (
            not allow_decl
            or not wanted
            or any(t.kind != "var" or "." in t.text for t in wanted)
            or len(wanted) > (2 if range_decl else 1)
        ):
            _fail(line, "unexpected declaration in command")
        tokens = tokens[decl_at + 1 :]
        if not tokens:
            _fail(line, "missing value for command")
        _check_commands(tokens, line, scopes)
        for t in wanted:
            scopes[-1].add(t.text)
        return
    _check_commands(tokens, line, scopes)


def _check_commands(tokens: list[_Token], line: int, scopes: list[set[str]]) -> None:
    depth = 0
    expect_operand = True
    for index, tok in enumerate(tokens):
        if tok.kind == "pipe":
            if expect_operand:
                _fail(line, "missing value for command")
            expect_operand = True
            continue
        if tok.kind == "lparen":
            depth += 1
            expect_operand = True
            continue
        if tok.kind == "rparen":
            depth -= 1
            if depth < 0:
                _fail(line, 'unexpected ")" in command')
            if expect_operand and tokens[index - 1].kind == "lparen":
                _fail(line, "missing value for parenthesized pipeline")
            expect_operand = False
            continue
        if tok.kind in ("declare", "assign", "comma"):
            _fail(line, f"unexpected {tok.text!r} in operand")
        if tok.kind == "var" and not _defined(tok.text, scopes):
            _fail(line, f'undefined variable "{tok.text.split(".", 1)[0]}"')
        if tok.kind == "ident":
            name = tok.text
            if name in _OPENERS or name in ("else", "end", "template", "break", "continue"):
                _fail(line, f"unexpected <{name}> in command")
            if name not in _CONSTANTS and name not in FUNCTIONS:
                _fail(line, f'function "{name}" not defined')
        expect_operand = False
    if depth > 0:
        _fail(line, "unclosed left paren")
    if expect_operand and tokens[-1].kind != "pipe":
        _fail(line, "missing value for command")
