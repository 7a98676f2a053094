import pytest

from config.celery import app
from intermediary.clock import set_now
from intermediary.emulator.server import Emulator
from intermediary.emulator.store import Store
from intermediary.windows import WindowConfig

from .harness import REDIS_URL, Env, at, flush_test_redis


@pytest.fixture
def celery_test_broker():
    """Point this process's Celery producer at the test Redis db (5), before first use."""
    old = app.conf.broker_url
    _reset_producer(app)
    app.conf.broker_url = REDIS_URL
    flush_test_redis()
    yield app
    _reset_producer(app)
    app.conf.broker_url = old


def _reset_producer(app):
    # Celery caches the connection pool and producer pool: drop both so the URL takes effect
    # (kombu's global registry keeps one pool per URL, so nothing is closed here).
    app._pool = None
    app.amqp._producer_pool = None


def _env(tmp_path, settings, channel):
    env = Env(tmp_path, channel)
    env.apply_to(settings)
    return env


@pytest.fixture
def ws_env(live_db, tmp_path, settings, celery_test_broker):
    env = _env(tmp_path, settings, "web_service")
    try:
        env.start_emulator()
        env.start_worker()
        yield env
    finally:
        env.stop_all()


@pytest.fixture
def xml_env(live_db, tmp_path, settings, celery_test_broker):
    env = _env(tmp_path, settings, "xml_batch")
    try:
        env.start_emulator()
        env.start_worker()
        yield env
    finally:
        env.stop_all()


@pytest.fixture
def env(tmp_path, settings):
    """Service-level delivery (no broker, no worker): task bodies called as functions, the
    emulator in process, the driven clock in a file, the XML channel unless a test switches."""
    settings.INTERMEDIARY_OUTBOUND_DIR = tmp_path / "outbound"
    settings.INTERMEDIARY_INBOUND_DIR = tmp_path / "inbound"
    settings.INTERMEDIARY_QUARANTINE_DIR = tmp_path / "quarantine"
    settings.INTERMEDIARY_CLOCK_FILE = str(tmp_path / "clock")
    settings.INTERMEDIARY_CHANNEL = "xml_batch"
    settings.INTERMEDIARY_SERVICE_HOURS, settings.INTERMEDIARY_STOP_HOURS = "06:00-23:30", "01:00-05:00"
    settings.INTERMEDIARY_DAILY_AT = "02:00"
    settings.INTERMEDIARY_MAX_ATTEMPTS = 3

    class E:
        clock = tmp_path / "clock"
        emu = Emulator(store=Store(tmp_path / "emu.sqlite3"), outbound=tmp_path / "outbound",
                       inbound=tmp_path / "inbound", cfg=WindowConfig.from_settings(settings))

        def set(self, value):
            set_now(self.clock, value)
    e = E()
    e.set(at(24, 10, 2))
    return e
