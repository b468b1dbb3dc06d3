"""bench/pages.py: the gunicorn it measures."""

from __future__ import annotations

import urllib.request

from bench.common import bench_environment
from bench.pages import start_gunicorn


def test_the_pages_bench_serves_on_the_port_gunicorn_bound_itself(tmp_path, monkeypatch):
    """A port picked before gunicorn starts can be taken by another process before gunicorn
    binds it; gunicorn binds port 0 and the bench reads which port it got from its log."""
    database_url = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    for name, value in bench_environment(database_url, tmp_path).items():
        monkeypatch.setenv(name, value)
    # Set for this process by the browser tests that ran before; gunicorn with production
    # settings would refuse to start with it (async.E001).
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)

    process, port = start_gunicorn(tmp_path)
    try:
        assert "127.0.0.1:0" in process.args
        url = f"http://127.0.0.1:{port}/bench/trivial/"
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
            assert response.status == 200
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert f"Listening at: http://127.0.0.1:{port} " in (tmp_path / "gunicorn.log").read_text()
