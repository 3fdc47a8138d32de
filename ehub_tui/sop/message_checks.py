"""The loader's checks of patient messages: helper D's grammar (sop/message_rules.py) said where
an SOP author will see it, as ``file:line:col: messages.<id>: …`` or ``routes[i] (<id>): …``.

Errors: brackets inside brackets or never closed, formatting after a placeholder's name, a
route's message whose written timescale contradicts the route's urgency, safety-netting in an
admin reply. Warnings: ``Hello {first_name}`` (use ``{greeting}``), a timescale written out.
"""

from __future__ import annotations

from typing import Any

from ehub_tui.sop import message_rules
from ehub_tui.yamlload import MarkedDict


def check_messages(spec: Any, routes: list[Any], tree: MarkedDict, ctx: Any) -> None:
    """Check every template of ``spec`` and every route's message into ``ctx``.

    For a version already published (``ctx.codes_required`` False: the hub's approved texts,
    loaded after an upgrade) the errors are warnings: upgrading never takes guidance away, and
    the author fixes the messages in the next version."""
    published = not ctx.codes_required

    def error(mark: Any, text: str) -> None:
        if published:
            ctx.warn(mark, f"{text} (a version published before messages were checked)")
        else:
            ctx.error(mark, text)

    msg_tree = tree.get("messages") or MarkedDict()
    for name, template in spec.messages.items():
        mark = msg_tree.value_marks.get(name) if isinstance(msg_tree, MarkedDict) else None
        for problem in message_rules.template_problems(template):
            if problem.endswith("(use {name} for a placeholder)"):
                continue  # a template that does not parse: the loader says so already
            error(mark, f"messages.{name}: {problem}")
        for warning in message_rules.template_warnings(template):
            ctx.warn(mark, f"messages.{name}: {warning}")
    for i, r in enumerate(routes):
        template = spec.messages.get(r.spec.message) if r.spec.message else None
        if not template:
            continue
        for problem in message_rules.route_message_problems(
            template, r.spec.urgency, r.spec.category
        ):
            error(r.mark, f"routes[{i}] ({r.spec.id}): message {r.spec.message}: {problem}")
