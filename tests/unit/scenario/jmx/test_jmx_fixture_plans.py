"""Every real JMeter plan in tests/fixtures/jmx: its dry-run listing, counted by hand from the XML.

Each plan either imports (its groups, requests and the elements it ignores are checked exactly)
or is refused naming exactly the elements that make it refused. The expectations were written
by reading each file (see tests/fixtures/jmx/SOURCES.md), not by running surge.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from surge.scenario.jmx.listing import listing_document
from surge.scenario.jmx.resolve import load_jmx

PLANS = Path(__file__).resolve().parents[3] / "fixtures" / "jmx"


def group(name: str, users: int, ramp_up_s: float, duration_s: float | None, iterations: int | None,
          requests: list[tuple[str, str, str]]) -> dict[str, Any]:  # fmt: skip
    return {
        "name": name,
        "users": users,
        "ramp_up_s": ramp_up_s,
        "duration_s": duration_s,
        "iterations": iterations,
        "requests": [{"label": label, "method": method, "url": url} for label, method, url in requests],
    }


def ignored(*items: tuple[str, str]) -> list[dict[str, str]]:
    return [{"testclass": testclass, "name": name, "action": "ignore"} for testclass, name in items]


def listing(name: str, properties: dict[str, str] | None = None) -> dict[str, Any]:
    return listing_document(load_jmx(PLANS / name, properties or {}))


def test_vtomar_if_controller() -> None:
    # One Thread Group (1 thread, ramp-up 1, 1 loop); "HTTP Request 1" sits in an If Controller
    # whose classic condition ${var1}<50 reads var1=5 from a User Defined Variables element.
    assert listing("vtomar-ifcontroller.jmx") == {
        "groups": [
            group("Thread Group", 1, 1.0, None, 1, [
                ("HTTP Request 1", "GET", "https://www.github.com/"),
                ("HTTP Request 2", "GET", "https://www.simplilearn.com/"),
            ]),
        ],
        "unsupported": ignored(("ResultCollector", "View Results Tree")),
    }  # fmt: skip


def test_anashuhada_throughput_controllers() -> None:
    # Four Thread Groups, three disabled: only MainThreadGroup (10 threads, ramp-up 1, 1 loop,
    # intProps) runs its three Throughput Controllers' GETs. No protocol anywhere: http.
    assert listing("anashuhada-throughput.jmx") == {
        "groups": [
            group("MainThreadGroup", 10, 1.0, None, 1, [
                ("HomePage", "GET", "http://demo.opencart.com/"),
                ("LoginPage", "GET", "http://demo.opencart.com/en-gb?route=account/login"),
                ("RegisterPage", "GET", "http://demo.opencart.com/en-gb?route=account/register"),
            ]),
        ],
        "unsupported": ignored(("ResultCollector", "Aggregate Report")),
    }  # fmt: skip


def test_aleksandr_mock() -> None:
    # HTTP Request Defaults: localhost:8080 over http. 100 threads, ramp-up 100, 10000 loops.
    # Form parameters of the POSTs go in their bodies, not in the URL.
    assert listing("aleksandr-mock.jmx") == {
        "groups": [
            group("Thread Group", 100, 100.0, None, 10000, [
                ("UserRegister", "POST", "http://localhost:8080/api/register"),
                ("UserLogin", "POST", "http://localhost:8080/api/login"),
                ("GetUser", "GET", "http://localhost:8080/api/user"),
            ]),
        ],
        "unsupported": ignored(
            ("BackendListener", "Backend Listener"),
            ("ResultCollector", "View Results Tree"),
            ("ResultCollector", "Summary Report"),
        ),
    }  # fmt: skip


def test_peacebytes_reqres() -> None:
    # User Defined Variables host=reqres.in and protocol=https, used by HTTP Request Defaults;
    # "Number of Users": 5 threads, ramp-up 1, 2 loops. The GET's path carries its query.
    assert listing("peacebytes-reqres.jmx") == {
        "groups": [
            group("Number of Users", 5, 1.0, None, 2, [
                ("Register Request", "POST", "https://reqres.in/api/register"),
                ("Add User Request", "POST", "https://reqres.in/api/users"),
                ("Get User Request", "GET", "https://reqres.in/api/users?page=1"),
            ]),
        ],
        "unsupported": ignored(
            ("ResultCollector", "View Results Tree"),
            ("ResultCollector", "View Results Tree"),
            ("ResultCollector", "Summary Report"),
        ),
    }  # fmt: skip


def test_denysmnv_nopcommerce() -> None:
    # One thread, one loop; a Loop Controller (1 loop) holds 7 recorded requests; port 443 over
    # https is left out of the URLs. GET parameters go in the query; the 2 POSTs' in the body.
    # The XPath Extractor's variable (SUBCATEGORY) is used nowhere, so it changes nothing.
    base = "https://demo.nopcommerce.com"
    assert listing("denysmnv-nopcommerce.jmx") == {
        "groups": [
            group("Example", 1, 1.0, None, 1, [
                ("/-212", "GET", f"{base}/"),
                ("/catalog/searchtermautocomplete-216", "GET",
                 f"{base}/catalog/searchtermautocomplete?term=HTC"),
                ("/search-217", "GET", f"{base}/search?q=HTC"),
                ("/htc-one-m8-android-l-50-lollipop-224", "GET", f"{base}/htc-one-m8-android-l-50-lollipop"),
                ("/addproducttocart/details/18/1-231", "POST", f"{base}/addproducttocart/details/18/1"),
                ("/cart-232", "GET", f"{base}/cart"),
                ("/shoppingcart/checkoutattributechange?isEditable=True-235", "POST",
                 f"{base}/shoppingcart/checkoutattributechange?isEditable=True"),
            ]),
        ],
        "unsupported": ignored(
            ("XPathExtractor", "XPath Extractor"),
            ("DebugSampler", "Debug Sampler"),
            ("ResultCollector", "View Results in Table"),
            ("ResultCollector", "View Results Tree"),
            ("ResultCollector", "Assertion Results"),
            ("ProxyControl", "HTTP(S) Test Script Recorder"),
        ),
    }  # fmt: skip


def test_egas88_sber() -> None:
    # Two Thread Groups both named "Thread Group": 5 threads, ramp-up 5, loops -1 (for ever),
    # scheduler on, duration 900 (a longProp). https://dostaevsky.ru from HTTP Request Defaults;
    # port 443 is https's. The second group's five recorded search_catalog samplers are disabled.
    base = "https://dostaevsky.ru"
    assert listing("egas88-sber.jmx") == {
        "groups": [
            group("Thread Group", 5, 5.0, 900.0, None, [
                ("Вход на главную", "GET", f"{base}/"),
                ("Переход на вкладку", "GET", f"{base}/${{choice}}"),
                ("Переход на товар", "GET", f"{base}/${{choice}}/${{ItemName}}"),
                ("Добавить товар в коризну", "GET", f"{base}/ajax/basket/add_to_basket?item_id=${{ItemId}}"),
                ("Получить информацию с корзины", "GET", f"{base}/basket/info"),
                ("Удалить товар из корзины", "PATCH", f"{base}/basket/update-item-count"),
                ("Полуить информацию с корзины", "GET", f"{base}/basket/info"),
            ]),
            group("Thread Group", 5, 5.0, 900.0, None, [
                ("Вход на главную", "GET", f"{base}/"),
                ("Результаты поиска", "GET", f"{base}/search-results?query=${{SearchParam}}"),
                ("Переход на первый товар", "GET", f"{base}/${{linkToFirstItem}}"),
                ("Результаты поиска", "GET", f"{base}/search-results?query=${{SearchParam}}"),
                ("Переход на второй товар", "GET", f"{base}/${{linkToSecItem}}"),
            ]),
        ],
        "unsupported": ignored(
            ("DebugSampler", "Debug Sampler"),
            ("ResultCollector", "View Results Tree"),
            ("ResultCollector", "Summary Report"),
            ("ResultCollector", "Graph Results"),
            ("DebugSampler", "Debug Sampler"),
            ("ResultCollector", "View Results Tree"),
            ("ResultCollector", "Summary Report"),
            ("ResultCollector", "Graph Results"),
            ("ResultCollector", "Simple Data Writer"),
        ),
    }  # fmt: skip


def refused(name: str) -> set[tuple[str, str]]:
    plan = load_jmx(PLANS / name, {})
    return {(item.testclass, item.name) for item in plan.refused}


def test_rsarreira_refused_for_its_scripts() -> None:
    # An enabled BSF PostProcessor (javascript), and the Test Plan's variables call __BeanShell.
    assert refused("rsarreira-ctools-cdf.jmx") == {
        ("BSFPostProcessor", "BSF PostProcessor"),
        ("Arguments", "User Defined Variables"),
    }


def test_webtours_refused_for_its_plugin_groups_and_script() -> None:
    # Three Ultimate Thread Groups (a plugin), and an enabled JSR223 PreProcessor inside the Test
    # Fragment they run through Module Controllers. The disabled "Debug" group and "INFO"
    # JSR223 PreProcessor do not count.
    assert refused("webtours-wt.jmx") == {
        ("kg.apc.jmeter.threads.UltimateThreadGroup", "UC_01"),
        ("kg.apc.jmeter.threads.UltimateThreadGroup", "UC_02"),
        ("kg.apc.jmeter.threads.UltimateThreadGroup", "UC_03"),
        ("JSR223PreProcessor", "departDate, returnDate"),
    }


def test_srinivas_refused_for_its_plugin_group_and_css_extractors() -> None:
    # An Ultimate Thread Group, and two HTML (CSS selector) extractors whose variables the next
    # requests' paths use. Its multipart POST (review-0) has text fields only: surge sends it.
    assert refused("srinivas-learn.jmx") == {
        ("kg.apc.jmeter.threads.UltimateThreadGroup", "jp@gc - Ultimate Thread Group"),
        ("HtmlExtractor", "Book Category selector"),
        ("HtmlExtractor", "Random Book Selector"),
    }


@pytest.mark.parametrize("name", sorted(p.name for p in PLANS.glob("*.jmx")))
def test_every_fixture_either_imports_or_is_refused(name: str) -> None:
    plan = load_jmx(PLANS / name, {})
    assert plan.groups or plan.refused
    assert all(item.action in ("ignore", "refuse") and item.reason for item in plan.unsupported)


def test_properties_reach_the_plan() -> None:
    # surge-shop's host and port are ${__P(host,shop.example)} and ${__P(port,80)}.
    requests = listing("surge-shop.jmx", {"host": "127.0.0.1", "port": "8080"})["groups"][0]["requests"]
    assert requests[0] == {"label": "login", "method": "POST", "url": "http://127.0.0.1:8080/login"}
    requests = listing("surge-shop.jmx")["groups"][0]["requests"]
    assert requests[2] == {
        "label": "item ${item_id}",
        "method": "GET",
        "url": "http://shop.example/api/items/${item_id}",
    }
