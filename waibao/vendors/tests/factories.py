from __future__ import annotations

import factory

from waibao.lib.creditcode import check_character
from waibao.vendors.models import Vendor


def credit_code_for(n: int) -> str:
    body = f"91440300{n:09d}"
    return body + check_character(body)


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    code = factory.Sequence(lambda n: f"V-{n + 1:04d}")
    name = factory.Sequence(lambda n: f"测试供应商{n}有限公司")
    credit_code = factory.Sequence(lambda n: credit_code_for(n + 100))
    country = "CN"
    category = "it_services"
    status = "active"
