"""The app shell: it starts, shows the home page with a link per page, and the sidebar settings."""
from harness.apptest import app_test
from seqviz.ui.registry import discover_pages


def run_app(**query):
    return app_test("app.py", **query).run()


def test_app_starts_without_exception_and_shows_home():
    at = run_app()
    assert not at.exception
    assert at.title[0].value == "seqviz"


def test_home_lists_every_page_with_its_summary():
    at = run_app()
    captions = [c.value for c in at.caption]
    for page in discover_pages():
        assert page.summary in captions


def test_sidebar_links_home_and_every_page_in_order():
    links = run_app().sidebar.get("page_link")
    assert [(link.proto.label, link.proto.page) for link in links] == \
        [("Home", "")] + [(page.title, page.url_path) for page in discover_pages()]


def test_sidebar_reads_device_and_seed_from_the_url():
    at = run_app(device="cpu", seed="42")
    assert at.sidebar.selectbox(key="device").value == "cpu"
    assert at.sidebar.number_input(key="seed").value == 42


def test_bad_url_values_fall_back_to_defaults():
    at = run_app(device="tpu", seed="-5")
    assert not at.exception
    assert at.sidebar.selectbox(key="device").value == "auto"
    assert at.sidebar.number_input(key="seed").value == 0


def test_missing_gpu_request_falls_back_to_cpu_with_a_message():
    import torch

    if torch.cuda.is_available():
        return
    at = run_app(device="cuda")
    assert any("not available" in info.value for info in at.sidebar.info)


def test_changing_seed_updates_the_url():
    at = run_app()
    at.sidebar.number_input(key="seed").set_value(7).run()
    assert at.query_params["seed"] == ["7"] or at.query_params["seed"] == "7"
