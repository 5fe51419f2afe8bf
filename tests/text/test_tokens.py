"""The offline tokenizer that counts prompt and chunk sizes."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from tests.support import PROJECT_ROOT


def test_tokenizer_works_with_the_network_blocked(tmp_path):
    """cl100k_base must come from llama-index-core's bundled cache, not a download."""
    script = (
        "import socket\n"
        "def refuse(*a, **k):\n    raise OSError('network blocked')\n"
        "socket.socket.connect = refuse\nsocket.create_connection = refuse\n"
        "from assistant.text.tokens import tiktoken_counter\n"
        "print(tiktoken_counter()('North Korea denied sending troops.'))\n"
    )
    # An empty TMPDIR: no BPE file cached by an earlier run can be picked up.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) == 6  # North| Korea| denied| sending| troops|.
    # The guard in this process is untouched: the network is refused, loopback is not.
    with socket.socket() as outside:
        outside.settimeout(2)
        with pytest.raises(RuntimeError, match="test tried to reach the network"):
            outside.connect(("203.0.113.1", 9))
    with socket.socket() as listener, socket.socket() as inside:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        inside.connect(listener.getsockname())
        assert inside.getpeername() == listener.getsockname()
