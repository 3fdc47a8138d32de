"""Per-supplier Questionnaire mappings: which of a supplier's linkIds is the request type, the
free text, a supplier flag, or an answer under our name, and how its answer words map to ours.

A real supplier's Questionnaire needs no code change: its mapping is a YAML file in the settings
folder (setting ``questionnaire_mapping_file``; docs/formats.md), for example::

    Accurx:                          # the supplier: the record's source (after supplier_systems)
      type-of-request:               # one of the supplier's linkIds
        to: request_type             # request_type, free_text, supplier_flag or an answer name
        values: {Medical: clinical, Admin: admin}
      describe-problem: free_text    # the short form: where it goes, no value map
      days-unwell: days              # an answer kept under the name "days"

The reserved linkIds (``request_type``, ``free_text``, ``supplier_flag``) keep their meaning for
every supplier; a mapping adds to them. Every problem in the file names the file, line and key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ehub_tui.errors import ConfigError
from ehub_tui.yamlload import Mark, MarkedDict, YamlError, load_yaml

FIELDS = ("request_type", "free_text", "supplier_flag")
REQUEST_TYPE_WORDS = ("clinical", "admin", "other")
_ANSWER_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_MAX_BYTES = 1_048_576


@dataclass(frozen=True, slots=True)
class ItemRule:
    """Where one linkId's answer goes: ``to`` is a field of FIELDS or "answer" (kept under
    ``name``); ``values`` maps the supplier's answer words to ours."""

    to: str
    name: str
    values: Mapping[str, str] = field(default_factory=dict)


# supplier key (see supplier_key) -> linkId -> rule
Mappings = Mapping[str, Mapping[str, ItemRule]]


def supplier_key(name: str) -> str:
    """Suppliers are matched as returns match them: case and spaces ignored."""
    return "".join(name.split()).casefold()


def load_mappings(path: Path) -> dict[str, dict[str, ItemRule]]:
    """Read and check a mapping file; raise ConfigError naming the file, line and key."""
    try:
        if path.stat().st_size > _MAX_BYTES:
            raise ConfigError(f"{path}: is over 1 MB; a Questionnaire mapping is a short file")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: the Questionnaire mapping file does not exist (setting "
            "questionnaire_mapping_file)"
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a Questionnaire mapping file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return parse_mappings(text, str(path))


def parse_mappings(text: str, name: str) -> dict[str, dict[str, ItemRule]]:
    """Check the text of a mapping file (``name`` is used in messages)."""
    try:
        doc = load_yaml(text)
    except YamlError as exc:
        where = f"{name}:{exc.mark.line}" if exc.mark else name
        raise ConfigError(f"{where}: {exc.message}") from None
    if doc is None:
        return {}
    if not isinstance(doc, MarkedDict):
        raise ConfigError(
            f"{name}: must map each supplier to its linkIds (supplier: {{linkId: field}})"
        )
    out: dict[str, dict[str, ItemRule]] = {}
    for supplier, rules in doc.items():
        at = f"{name}:{doc.key_marks[supplier].line}"
        cleaned = supplier.strip()
        if not cleaned or len(cleaned) > 40 or not cleaned.isprintable():
            raise ConfigError(f"{at}: a supplier is a short printable name (1-40 characters)")
        key = supplier_key(cleaned)
        if key in out:
            raise ConfigError(f"{at}: supplier {cleaned!r} is mapped twice")
        if not isinstance(rules, MarkedDict):
            raise ConfigError(
                f"{at}: supplier {cleaned!r} must map its linkIds to fields "
                "(linkId: request_type, free_text, supplier_flag or an answer name)"
            )
        out[key] = {
            link: _rule(rule, f"{name}:{_line(rules.value_marks, link)}", cleaned, link)
            for link, rule in rules.items()
        }
    return out


def _line(marks: Mapping[str, Mark], key: str) -> int:
    return marks[key].line


def _rule(value: Any, at: str, supplier: str, link: str) -> ItemRule:
    where = f"{at}: {supplier} linkId {link!r}"
    if not link.strip() or len(link) > 255:
        raise ConfigError(f"{at}: {supplier} has an empty or over-long linkId (1-255 characters)")
    values: dict[str, str] = {}
    if isinstance(value, str):
        to = value.strip()
    elif isinstance(value, MarkedDict):
        unknown = sorted(set(value) - {"to", "values"})
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r} (a linkId takes to and values)")
        to_value = value.get("to")
        if not isinstance(to_value, str) or not to_value.strip():
            raise ConfigError(
                f"{where}: needs 'to' (request_type, free_text, supplier_flag or an answer name)"
            )
        to = to_value.strip()
        given = value.get("values", {})
        if not isinstance(given, dict):
            raise ConfigError(f"{where}: values must map the supplier's answers to ours")
        for theirs, ours in given.items():
            if not isinstance(ours, str | int) or isinstance(ours, bool):
                raise ConfigError(
                    f"{where}: the value for {theirs!r} must be text (write true/false in quotes)"
                )
            values[str(theirs)] = str(ours)
    else:
        raise ConfigError(
            f"{where}: must be a field name or {{to: ..., values: {{...}}}}, not a list or number"
        )
    if to in FIELDS:
        if to == "request_type":
            for theirs, ours in values.items():
                if ours not in REQUEST_TYPE_WORDS:
                    raise ConfigError(
                        f"{where}: {theirs!r} maps to {ours!r}, not one of "
                        f"{', '.join(REQUEST_TYPE_WORDS)}"
                    )
        return ItemRule(to, to, values)
    if not _ANSWER_NAME.fullmatch(to):
        raise ConfigError(
            f"{where}: {to!r} is not request_type, free_text or supplier_flag, nor an answer "
            "name (lower-case letters, digits and _, starting with a letter)"
        )
    return ItemRule("answer", to, values)


def apply_mapping(data: dict[str, Any], mappings: Mappings) -> None:
    """Move the mapped linkIds of ``data["answers"]`` to the fields they name (in place)."""
    source = data.get("source")
    if not isinstance(source, str):
        return
    rules = mappings.get(supplier_key(source))
    answers = data.get("answers")
    if not rules or type(answers) is not dict:
        return
    hits = [link for link in rules if link in answers]
    if not hits:
        return
    answers = dict(answers)
    for link in hits:
        rule = rules[link]
        value = answers.pop(link)
        given = value if type(value) is list else [value]
        if rule.values:
            given = [rule.values.get(v if type(v) is str else str(v), v) for v in given]
        if rule.to == "request_type":
            data.setdefault("request_type", given[0])  # the reserved linkId wins
        elif rule.to == "free_text":
            words = "\n".join(v if type(v) is str else str(v) for v in given)
            before = data.get("free_text")
            data["free_text"] = f"{before}\n{words}" if isinstance(before, str) else words
        elif rule.to == "supplier_flag":
            flags = data.get("supplier_flags")
            data["supplier_flags"] = (list(flags) if type(flags) is list else []) + given
        else:
            one = given[0] if len(given) == 1 else given
            if rule.name in answers:
                before = answers[rule.name]
                merged = before if type(before) is list else [before]
                answers[rule.name] = merged + given
            else:
                answers[rule.name] = one
    data["answers"] = answers


def mapping_path(setting: Path) -> Path:
    """Where the setting points: a relative name is in the settings folder (never the current
    directory, which depends on where the command was run)."""
    setting = setting.expanduser()
    if setting.is_absolute():
        return setting
    from ehub_tui.settings import default_config_path

    return default_config_path().parent / setting
