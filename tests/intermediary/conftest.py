import pytest

from config.celery import app

from .harness import REDIS_URL, Env, flush_test_redis


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
