"""The top bar fits the window in both languages: long English labels and names wrap, never push the
page sideways (they did at 1366 px wide before the bar collapsed below the xl breakpoint)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 1366])
def test_the_top_bar_never_makes_the_page_wider_than_the_window(
    width, admin_user, manager, vendor_user_a, browser_login, page
):
    from waibao.core.models import Organization

    Organization.objects.update_or_create(pk=1, defaults={"name": "华东智联零售集团有限公司（测试用的很长的公司名称）"})
    page.set_viewport_size({"width": width, "height": 700})
    for user in (admin_user, manager, vendor_user_a):
        user.first_name, user.last_name, user.language = "磊", "外包经理 王", "en"
        user.save()
        browser_login(user)
        for path in ("/", "/notifications/"):
            page.goto(path)
            assert page.locator("html").get_attribute("lang") == "en"
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= width, f"{user.username} {path}: page is {wide}px wide in a {width}px window"
        page.context.clear_cookies()


#: For each entry of the top bar: its top edge, and for the search box whether its placeholder fits.
MEASURE = """() => {
  const links = [...document.querySelectorAll('#mainnav .navbar-nav.me-auto .nav-link')];
  const input = document.querySelector('#top-search input');
  // The placeholder typed as a value: it fits when the box does not need to scroll for it.
  const before = input.value;
  input.value = input.placeholder;
  const fits = input.scrollWidth <= input.clientWidth;
  input.value = before;
  return {
    tops: links.map(a => Math.round(a.getBoundingClientRect().top)),
    labels: links.map(a => a.textContent.trim()),
    placeholder: input.placeholder,
    fits: fits,
  };
}"""


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_menu_stays_on_one_line_and_the_search_placeholder_is_whole_at_1280(
    language, admin_user, manager, quality_user, vendor_user_a, browser_login, page
):
    page.set_viewport_size({"width": 1280, "height": 800})
    for user in (admin_user, manager, quality_user, vendor_user_a):
        user.language = language
        user.save(update_fields=["language"])
        browser_login(user)
        page.goto("/")
        bar = page.evaluate(MEASURE)
        assert len(set(bar["tops"])) == 1, f"{user.username}: the menu wraps: {bar['labels']}"
        assert bar["fits"], f"{user.username}: the search placeholder {bar['placeholder']!r} is cut off"
        page.context.clear_cookies()
        if language == "en" and user.is_buyer:
            assert "Calendars" in bar["labels"] and "Business calendar" not in bar["labels"]
