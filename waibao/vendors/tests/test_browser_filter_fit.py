"""The vendor list's filter selects show their whole text in English at 1280 px (the certificate-state
filter read "All certificate st…")."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: For each select of the filter form: whether the selected option's text fits inside its padding.
MEASURE = """() => [...document.querySelectorAll('#vendor-filters select')].map(s => {
  const cs = getComputedStyle(s);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
  const text = s.options[s.selectedIndex].text;
  const room = s.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  return {name: s.name, text: text, fits: ctx.measureText(text).width <= room};
})"""


def test_the_vendor_filter_selects_show_their_whole_label_in_english_at_1280(manager, browser_login, page):
    manager.language = "en"
    manager.save(update_fields=["language"])
    page.set_viewport_size({"width": 1280, "height": 800})
    browser_login(manager)
    page.goto("/vendors/")
    selects = page.evaluate(MEASURE)
    assert {s["name"] for s in selects} >= {"category", "status", "cert_state"}
    assert all(s["fits"] for s in selects), selects
