"""English is complete: pages rendered in English carry no Chinese text of their own."""

import re

import pytest

pytestmark = pytest.mark.django_db
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]+")
PAGES = [
    "/", "/vendors/", "/vendors/new/", "/vendors/import/", "/vendors/certificates/expiring/", "/accounts/me/",
    "/audit/", "/accounts/users/new/",
    "/contracts/", "/contracts/new/", "/contracts/settings/", "/calendars/", "/calendars/new/", "/notifications/",
    "/delivery/", "/delivery/disputes/",
    "/quality/", "/quality/tools/sampling/", "/quality/tools/spc/", "/quality/plans/", "/quality/plans/new/",
    "/quality/inspections/", "/quality/ncrs/", "/quality/ncrs/new/", "/quality/deliverables/", "/quality/complaints/",
    "/quality/complaints/new/", "/quality/satisfaction/", "/quality/sla/",
]


# Stored defaults that are data, not interface text: built-in calendar names and descriptions. They are
# shown as stored (and can be renamed by an admin). Built-in approval and review levels are translated.
DATA = {"中国大陆", "法定节假日", "全年每天", "，无节假日", "，周一至周五", "，国务院公布的法定节假日与调休"}


def chinese_left(html: str) -> set[str]:
    html = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    # Accepted import column names are listed in both languages on purpose.
    html = re.sub(r'<table[^>]*id="import-columns".*?</table>', "", html, flags=re.S)
    # The clause library holds contract texts (seeded in the installation's language): data, not interface.
    html = re.sub(r'<ul[^>]*id="clause-library".*?</ul>', "", html, flags=re.S)
    # The brand and the switch back to Chinese are Chinese on purpose.
    html = html.replace("外包 Waibao", "Waibao").replace("Waibao 外包", "Waibao").replace('lang="zh-CN">中文<', "")
    return set(CJK.findall(html)) - DATA


@pytest.mark.parametrize("path", PAGES)
def test_pages_in_english_have_no_chinese_interface_text(admin_user, client, path):
    admin_user.language = "en"
    admin_user.save(update_fields=["language"])
    client.force_login(admin_user)
    response = client.get(path)
    assert response.status_code == 200
    assert chinese_left(response.content.decode()) == set()


def test_login_page_in_english(client):
    client.cookies["django_language"] = "en"
    assert chinese_left(client.get("/accounts/login/").content.decode()) == set()


def test_chinese_is_the_default(client):
    assert "登录" in client.get("/accounts/login/").content.decode()
