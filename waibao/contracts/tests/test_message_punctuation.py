"""Messages built from lists read with the reader's punctuation: "a, b; c" in English, "甲、乙；丙" in Chinese."""

from datetime import date

import pytest
from django.utils import translation

from waibao.contracts import services
from waibao.contracts.tests.factories import draft_contract
from waibao.core.errors import DomainError

pytestmark = pytest.mark.django_db


def test_missing_clauses_are_listed_with_commas_in_english_and_enumeration_commas_in_chinese(
    manager, vendor_a
):
    contract = draft_contract(manager, vendor_a)
    with translation.override("en"):
        english = services.submission_problems(contract)["clauses"]
    with translation.override("zh-hans"):
        chinese = services.submission_problems(contract)["clauses"]
    assert ", " in english and "、" not in english and "：" not in english
    assert "、" in chinese


def test_several_contract_errors_are_joined_with_semicolons_in_english(manager, vendor_a):
    with translation.override("en"), pytest.raises(DomainError) as caught:
        services.create_contract(
            actor=manager,
            vendor=vendor_a,
            title="",
            category="it_services",
            start_date=date(2026, 12, 31),
            end_date=date(2026, 1, 1),
        )
    message = str(caught.value.message)
    assert len(caught.value.fields) >= 2
    assert "; " in message and "；" not in message
