"""The scripted responder's rules table: user-editable TOML, clear errors for bad files."""

from __future__ import annotations

import pytest

from voicelab.emulator.responder import (
    Rule,
    ScriptedResponder,
    load_rules,
)
from voicelab.errors import ParameterError

from .conftest import user


def test_rules_table_is_user_editable(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(
        '[[rules]]\nname = "pizza"\npattern = \'\\bpizza\\b\'\nreply = "Margherita, always. ({text})"\n'
    )
    responder = ScriptedResponder(rules_path=path)
    assert responder.respond_sync(user("Best pizza?")).text == "Margherita, always. (Best pizza?)"
    assert responder.respond_sync(user("what is 2 times 2")).text == "2 times 2 is 4."


@pytest.mark.parametrize(
    "content",
    ['[[rules]]\nname = "x"\n', '[[rules]]\npattern = "("\nreply = "r"\n', "[[rules"],
    ids=["no-pattern", "bad-regex", "bad-toml"],
)
def test_bad_rules_file_is_a_parameter_error(tmp_path, content):
    path = tmp_path / "rules.toml"
    path.write_text(content)
    with pytest.raises(ParameterError):
        load_rules(path)


def test_bundled_rules_load():
    names = [r.name for r in load_rules()]
    assert names[0] == "greeting" and "thanks" in names
    assert Rule("r", r"(\w+) and (\w+)", "{2} then {1}").answer("salt and pepper") == "pepper then salt"
