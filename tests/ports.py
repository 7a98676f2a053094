"""Loopback ports for the processes tests start (no Django needed, so the chaos soak can pick
its database's port before Django is set up)."""
import os
import random
import socket


def free_port() -> int:
    """A free loopback port: from TEST_PORT_RANGE ("first-last") when set — parallel runs on
    one machine each keep to their own range — else any the kernel hands out."""
    span = os.environ.get("TEST_PORT_RANGE", "")
    candidates = [0]
    if span:
        first, last = (int(x) for x in span.split("-"))
        candidates = list(range(first, last + 1))
        random.shuffle(candidates)
    for port in candidates:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise AssertionError(f"no free port in TEST_PORT_RANGE={span}")
