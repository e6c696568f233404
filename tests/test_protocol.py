"""The protocol's frames: messages sent together travel as one text (docs/protocol.md, "Envelope")."""

from __future__ import annotations

import json

from fh_anywidget.kernel import protocol as P


def test_one_message_stays_an_object_and_announces_its_buffers_only_when_it_has_some() -> None:
    assert P.frame([('{"type":"created"}', 0)]) == '{"type":"created"}'
    assert json.loads(P.frame([('{"type":"comm_msg"}', 2)])) == {"nbuffers": 2, "type": "comm_msg"}
    assert json.loads(P.frame([("{}", 1)])) == {"nbuffers": 1}


def test_several_messages_become_an_array_in_order_each_counting_its_own_buffers() -> None:
    text = P.frame([('{"type":"a"}', 0), ('{"type":"b"}', 2), ('{"type":"c"}', 1)])
    assert json.loads(text) == [{"type": "a"}, {"nbuffers": 2, "type": "b"}, {"nbuffers": 1, "type": "c"}]
