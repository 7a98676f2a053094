"""The sync monitor at 1,000,000 operations (issue 14): its 「最近の反映」 reads the newest
reflected operations from an index instead of sorting every reflected one."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from intermediary.selectors import recently_reflected

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the production database's plan")
def test_recently_reflected_is_read_from_its_index():
    with CaptureQueriesContext(connection) as captured:
        recently_reflected()
    (query,) = captured.captured_queries
    with connection.cursor() as cur:
        # An empty test table is cheapest to scan: forbid that, so the plan shows what a large one gets.
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("EXPLAIN " + query["sql"])
        plan = "\n".join(row[0] for row in cur.fetchall())
    assert "op_recently_reflected" in plan and "Sort" not in plan, plan
