import gc

from enlets.core.gc_tuning import FreezeAfterWarmUp


def test_freezes_once_after_the_first_request():
    calls = []

    def app(environ, start_response):
        calls.append(environ["PATH_INFO"])
        return [b"ok"]

    wrapped = FreezeAfterWarmUp(app)
    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        assert wrapped({"PATH_INFO": "/first"}, lambda *a: None) == [b"ok"]
        assert wrapped.frozen
        after_first = gc.get_freeze_count()
        assert after_first > 0
        wrapped({"PATH_INFO": "/second"}, lambda *a: None)
        assert calls == ["/first", "/second"]
    finally:
        gc.unfreeze()


def test_project_wsgi_application_is_wrapped():
    from enlets.wsgi import application

    assert isinstance(application, FreezeAfterWarmUp)
