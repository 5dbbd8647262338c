"""Which query parameters each page mirrors in the URL, and which values it takes, read without running it.

A page makes every URL-bound control with a `seqviz.ui.state.url_*` helper. This module finds those calls
in the page's source with `ast`, binds their arguments to the helper's own signature, and evaluates the
options and bounds in a namespace holding only the page's imports and its module-level constants (no
widget is drawn, no computation runs). Each control's check is the same parse function the helper uses
on a link's value (`state._in_options`, `state._bounded`), so a lesson is held to what a link may say.

Bounds that depend on a run (`num_layers - 1`, the length of a decoded text) cannot be evaluated here:
such a control keeps the check of its type (a whole number, a decimal), and the page itself ignores an
out-of-range value with a toast. A key built with an f-string from a function's first argument
(`f"{prefix}_N"`) is resolved from the module's calls of that function with a string literal.
"""
from __future__ import annotations

import ast
import functools
import inspect
from dataclasses import replace
from pathlib import Path

from seqviz.core.devices import DEVICE_CHOICES
from seqviz.lessons.format import Control
from seqviz.ui import state
from seqviz.ui.registry import discover_pages
from seqviz.ui.sidebar import DEFAULT_DEVICE, SEED_MAX, SHARED_KEYS

HELPERS = ("url_selectbox", "url_radio", "url_segmented", "url_slider", "url_step_scrubber", "url_instant_choice",
           "url_instant_select", "url_instant_number", "url_instant_slider", "url_number", "url_toggle",
           "url_multiselect", "url_text", "url_text_area", "url_tab")
_SAFE_CALLS = {"tuple", "list", "len", "max", "min", "range", "ValueGrid", "dict", "sorted"}


def page_controls() -> dict[str, dict[str, Control]]:
    """url_path → {query key → Control} for every discovered page, plus the sidebar's shared keys on each."""
    return {page.url_path: {**file_controls(page.path), **shared_controls()} for page in discover_pages()}


def file_controls(path: Path) -> dict[str, Control]:
    """query key → Control of one page file (parsed again only when the file changes; a copy of the shared
    parse for each caller)."""
    return dict(_controls_of(path, path.stat().st_mtime_ns))


def shared_controls() -> dict[str, Control]:
    """The sidebar's device and seed, which every page takes (seqviz.ui.sidebar)."""
    assert SHARED_KEYS == ("device", "seed") and DEFAULT_DEVICE in DEVICE_CHOICES
    return {"device": Control("device", "Device", state._in_options(DEVICE_CHOICES), _one_of(DEVICE_CHOICES)),
            "seed": Control("seed", "Seed", state._bounded(int, 0, SEED_MAX), f"a whole number in 0…{SEED_MAX}")}


@functools.lru_cache(maxsize=64)
def _controls_of(path: Path, mtime_ns: int) -> dict[str, Control]:
    """The controls of one page file (parsed again only when it changes)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    namespace = _constants(tree)
    prefixes = _prefix_calls(tree)
    controls: dict[str, Control] = {}
    for function, call in _helper_calls(tree):
        for control in _describe(call, namespace, prefixes.get(function, ())):
            controls.setdefault(control.key, control)
    return controls


def _helper_calls(tree: ast.Module):
    """(name of the enclosing function or None, call node) of every url_* helper call."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for inner in ast.walk(node):
                if _is_helper(inner):
                    yield node.name, inner
    for node in tree.body:  # module-level calls (the page's View radio)
        if not isinstance(node, ast.FunctionDef):
            for inner in ast.walk(node):
                if _is_helper(inner):
                    yield None, inner


def _is_helper(node) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in HELPERS


def _prefix_calls(tree: ast.Module) -> dict[str, list[str]]:
    """function name → the string literals its module passes as its first argument (key prefixes)."""
    found: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args \
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            found.setdefault(node.func.id, []).append(node.args[0].value)
    return found


def _constants(tree: ast.Module) -> dict:
    """The page's imports and module-level constants whose values need no call but a harmless one."""
    namespace: dict = {}
    for node in tree.body:
        wanted = isinstance(node, (ast.Import, ast.ImportFrom)) and not _is_future(node) \
            or isinstance(node, ast.Assign) and _harmless(node.value)
        if wanted:
            try:
                exec(compile(ast.Module([node], []), "<page imports and constants>", "exec"), namespace)
            except Exception:  # a name the page could not make here: the controls using it keep their type check
                pass
    return namespace


def _is_future(node) -> bool:
    return isinstance(node, ast.ImportFrom) and node.module == "__future__"


def _harmless(value: ast.expr) -> bool:
    """Whether an expression calls nothing but builtins and ValueGrid (safe to evaluate without the page)."""
    calls = [n for n in ast.walk(value) if isinstance(n, ast.Call)]
    return all(isinstance(c.func, ast.Name) and c.func.id in _SAFE_CALLS for c in calls)


def _describe(call: ast.Call, namespace: dict, prefixes) -> list[Control]:
    """The Control(s) of one helper call: one per key (several where the key has a prefix argument)."""
    helper = getattr(state, call.func.id)
    try:
        bound = inspect.signature(helper).bind_partial(*call.args, **{k.arg: k.value for k in call.keywords if k.arg})
    except TypeError:
        return []
    args = bound.arguments
    label = _value(args.get("label"), namespace)
    keys = _keys(args.get("key"), prefixes)
    return [_control(call.func.id, key, label if isinstance(label, str) else key, args, namespace) for key in keys]


def _keys(node, prefixes) -> list[str]:
    """The keys a helper call binds: a literal, or an f-string's suffix after each of its prefixes."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr) and len(node.values) == 2 and isinstance(node.values[1], ast.Constant):
        return [prefix + node.values[1].value for prefix in prefixes]
    return []  # a key computed at run time (a typed text per task): not settable from a lesson


def _value(node, namespace: dict, missing=None):
    """The value of an argument's expression, or `missing` where it needs a run of the page."""
    if node is None:
        return missing
    try:
        return eval(compile(ast.Expression(node), "<argument>", "eval"), dict(namespace))
    except Exception:
        return missing


def _control(helper: str, key: str, label: str, args: dict, namespace: dict) -> Control:
    """The check a lesson's value for `key` must pass, built like the helper's own parse of a URL value,
    with the page's default as the URL writes it."""
    control = _check(helper, key, label, args, namespace)
    default = _default(helper, args, namespace)
    return control if default is None else replace(control, default=state._url_text(default))


def _default(helper: str, args: dict, namespace: dict):
    """The helper's default: its `default` argument, else what the helper itself falls back to."""
    default = _value(args.get("default"), namespace)
    if default is not None or "default" in args:
        return default
    options = _value(args.get("options", args.get("tabs")), namespace)
    fallback = {"url_toggle": False, "url_text": "", "url_text_area": "", "url_multiselect": ()}
    if helper in fallback:
        return fallback[helper]
    return options[0] if options else None


def _check(helper: str, key: str, label: str, args: dict, namespace: dict) -> Control:
    """The Control of `key` without its default."""
    if helper == "url_toggle":
        return Control(key, label, _toggle, "1 (on) or 0 (off)")
    if helper in ("url_text", "url_text_area"):
        return Control(key, label, str, "any text")
    options = _value(args.get("options", args.get("tabs")), namespace)
    if helper == "url_multiselect" and options is None:
        return Control(key, label, None, "a comma-separated list of the options the page shows (checked when it runs)")
    if helper == "url_multiselect":
        return Control(key, label, _subset(options), "a comma-separated list of " + _one_of(options or ()))
    if "options" in args or "tabs" in args:
        if options is None:
            return Control(key, label, None, "one of the options the page shows (checked when the page runs)")
        return Control(key, label, state._in_options(tuple(options)), _one_of(options))
    return _number_control(helper, key, label, args, namespace)


def _number_control(helper: str, key: str, label: str, args: dict, namespace: dict) -> Control:
    """The Control of a number helper: its cast, and its bounds (and grid) where they are known statically."""
    default = _value(args.get("default"), namespace)
    lo, hi = _value(args.get("min_value"), namespace), _value(args.get("max_value"), namespace)
    known = default if default is not None else (lo if lo is not None else hi)  # the helper casts like its default
    whole = helper in ("url_step_scrubber", "url_instant_number", "url_instant_slider") or isinstance(known, int)
    cast = int if whole and not isinstance(known, float) else float
    step_node = args.get("step", args.get("kwargs", {}).get("step"))
    step = None if helper in ("url_instant_number", "url_number") else _value(step_node, namespace)
    if helper == "url_step_scrubber":
        lo, hi = 0, None
    kind = "a whole number" if cast is int else "a number"
    if lo is None or hi is None:
        return Control(key, label, cast, f"{kind} (its range depends on other settings: checked when the page runs)")
    grid = f" in steps of {step:g}" if step else ""
    return Control(key, label, state._bounded(cast, lo, hi, step), f"{kind} in {lo:g}…{hi:g}{grid}")


def _toggle(raw: str) -> bool:
    if raw not in ("0", "1"):
        raise ValueError(raw)
    return raw == "1"


def _subset(options):
    """A multiselect's parse for a lesson: every comma-separated name must be an option."""
    def parse(raw: str) -> list:
        names = [str(o) for o in options or ()]
        unknown = [part for part in raw.split(",") if part not in names]
        if unknown:
            raise ValueError(raw)
        return [o for o in options if str(o) in raw.split(",")]
    return parse


def _one_of(options) -> str:
    return "one of " + ", ".join(repr(str(o)) for o in options)
