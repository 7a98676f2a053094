"""The XML channel handled by one worker on the transfer host (ADR 0075): with
INTERMEDIARY_TRANSFER_QUEUE set, the tasks that touch the outbound/inbound folders go to that
queue, which only the transfer host's worker consumes. Two real workers: the general one has
no such folders (another host); the batch file, its result and the reflection still happen,
all on the transfer worker, while other tasks keep going to the general one."""
import datetime

from config.celery import app
from intermediary.models import Batch, Operation, OperationStatus
from tests.intermediary.harness import Env, send_task, wait_until
from victims import services as flag_services

JST = datetime.timezone(datetime.timedelta(hours=9))


def at(hh, mm, ss=0):
    return datetime.datetime(2026, 11, 24, hh, mm, ss, tzinfo=JST)


def use_routes(routes) -> None:
    """Celery builds its router once (a cached property over the route table): both go."""
    app.conf.task_routes = routes
    app.amqp.flush_routes()
    app.amqp.__dict__.pop("router", None)


def test_file_tasks_run_only_on_the_transfer_hosts_worker(live_db, tmp_path, settings, celery_test_broker, counter,
                                                          approver, register):
    env = Env(tmp_path, "xml_batch")
    env.apply_to(settings)
    routes = {name: {"queue": "transfer"} for name in settings.INTERMEDIARY_FILE_TASKS}
    old_routes = app.conf.task_routes
    use_routes(routes)  # this process sends as the workers would
    elsewhere = tmp_path / "not-on-this-host"
    elsewhere.write_text("a file, so no folder can be made under it")
    try:
        env.start_emulator()
        env.set_clock(at(10, 2))
        targets = [register(counter) for _ in range(3)]
        for _, cr in targets:
            flag_services.change_request_approve(actor=approver, change_request_id=cr.pk)
        queue = {"INTERMEDIARY_TRANSFER_QUEUE": "transfer"}
        env.start_worker("transfer", extra_env=queue, queues="transfer", concurrency=1)
        env.start_worker("general", queues="celery", concurrency=1, extra_env={
            **queue, **{f"INTERMEDIARY_{d}_DIR": str(elsewhere / d.lower()) for d in ("OUTBOUND", "INBOUND",
                                                                                     "QUARANTINE")}})
        env.set_clock(at(10, 4, 30))
        send_task("intermediary.xml_batch_tick")
        batch = wait_until(lambda: Batch.objects.filter(flag_kind="NO_AUTO_RESPONSE", status="published").first(),
                           what="the NO_AUTO_RESPONSE batch written")
        assert (env.dirs["outbound"] / batch.name).exists()
        env.set_clock(at(10, 5))

        def reflected():
            send_task("intermediary.results_ingest")
            return not Operation.objects.filter(flag_kind="NO_AUTO_RESPONSE").exclude(
                status=OperationStatus.REFLECTED).exists()
        wait_until(reflected, timeout=30, interval=0.5, what="results ingested on the transfer host")
        send_task("intermediary.reconcile")  # not a file task: the general worker takes it
        general = env.logs["general"]
        wait_until(lambda: "Task intermediary.reconcile[" in general.read_text(), what="reconcile, general worker")
        transfer_log, general_log = env.logs["transfer"].read_text(), general.read_text()
        for name in ("intermediary.xml_batch_tick", "intermediary.results_ingest"):
            assert f"Task {name}[" in transfer_log
            assert f"Task {name}[" not in general_log
        assert "Task intermediary.reconcile[" not in transfer_log
        assert "Traceback" not in transfer_log + general_log
    finally:
        env.stop_all()
        use_routes(old_routes)
