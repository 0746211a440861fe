"""comm in the wasm Python: a comm manager routes messages to the comm a target opened."""

import comm
from comm.base_comm import CommManager


def test_targets_and_messages():
    manager = CommManager()
    received = []

    def on_open(opened, message):
        opened.on_msg(lambda msg: received.append(msg["content"]["data"]))

    manager.register_target("echo", on_open)
    manager.comm_open(None, None, {"content": {"comm_id": "c1", "target_name": "echo", "data": {}}})
    manager.comm_msg(None, None, {"content": {"comm_id": "c1", "data": {"x": 1}}})
    assert received == [{"x": 1}]


def test_default_comm_is_a_dummy():
    created = comm.create_comm(target_name="t")
    assert created.comm_id and created.target_name == "t"
    assert isinstance(comm.get_comm_manager(), CommManager)
