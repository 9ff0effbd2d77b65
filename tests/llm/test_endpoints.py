from hypothesis import given
from hypothesis import strategies as st

from openhands_zai.llm.endpoints import ENDPOINTS, resolve_endpoint


def test_named_endpoints():
    assert resolve_endpoint("coding-plan") == ("https://api.z.ai/api/coding/paas/v4", None)
    assert resolve_endpoint("general") == ("https://api.z.ai/api/paas/v4", None)
    assert resolve_endpoint("china") == ("https://open.bigmodel.cn/api/paas/v4", None)


def test_https_gateway_is_allowed_and_normalised():
    assert resolve_endpoint("https://llm.corp.example/v4/") == ("https://llm.corp.example/v4", None)


def test_http_only_for_loopback():
    assert resolve_endpoint("http://127.0.0.1:8080/v4")[0] == "http://127.0.0.1:8080/v4"
    assert resolve_endpoint("http://localhost:9/v4")[0] == "http://localhost:9/v4"
    assert resolve_endpoint("http://[::1]:9/v4")[0] == "http://[::1]:9/v4"
    base, error = resolve_endpoint("http://api.z.ai/api/paas/v4")
    assert base is None and "https://" in error


def test_credentials_in_url_rejected_without_echoing_them():
    base, error = resolve_endpoint("https://user:hunter2@gw.example/v4")
    assert base is None and "hunter2" not in error


@given(st.text(min_size=0, max_size=40))
def test_arbitrary_text_never_crashes_and_only_https_or_named_pass(text):
    base, error = resolve_endpoint(text)
    assert (base is None) != (error is None)
    if base is not None:
        assert text in ENDPOINTS or base.startswith("https://") or base.startswith("http://")


@given(st.ip_addresses(v=4))
def test_http_ipv4_accepted_exactly_when_loopback(address):
    base, _ = resolve_endpoint(f"http://{address}:8000/v4")
    assert (base is not None) == address.is_loopback
