import pytest

from waibao.lib import creditcode

# Published codes of well-known companies (from their business licences / public registries).
REAL_CODES = [
    "91440300708461136T",  # 腾讯科技（深圳）有限公司
    "914403001922038216",  # 华为技术有限公司
    "91110000802100433B",  # 北京百度网讯科技有限公司
    "91330100799655058B",  # 阿里巴巴（中国）有限公司
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_published_codes_are_valid(code):
    assert creditcode.validate(code) == code


@pytest.mark.parametrize("code", REAL_CODES)
def test_lowercase_and_spaces_are_normalised(code):
    assert creditcode.validate(" " + code.lower() + " ") == code


@pytest.mark.parametrize("code", REAL_CODES)
def test_every_single_character_change_is_caught(code):
    # The check character detects any single substitution: change each position to each other symbol.
    for i in range(18):
        for ch in creditcode.ALPHABET:
            if ch == code[i]:
                continue
            mutated = code[:i] + ch + code[i + 1 :]
            assert not creditcode.is_valid(mutated), mutated


@pytest.mark.parametrize("code", REAL_CODES)
def test_adjacent_transpositions_are_caught(code):
    for i in range(17):
        if code[i] == code[i + 1]:
            continue
        swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
        assert not creditcode.is_valid(swapped), swapped


def test_wrong_length_names_the_length():
    with pytest.raises(creditcode.CreditCodeError, match="length must be 18 characters, got 17"):
        creditcode.validate("91440300708461136")


@pytest.mark.parametrize("bad", ["I", "O", "S", "V", "Z", "-"])
def test_characters_outside_the_alphabet_are_named(bad):
    code = "9144030070846113" + bad + "T"
    with pytest.raises(creditcode.CreditCodeError, match="characters not allowed"):
        creditcode.validate(code)


def test_wrong_check_character_says_which_is_expected():
    with pytest.raises(creditcode.CreditCodeError, match="check character should be T, not 1"):
        creditcode.validate("914403007084611361")


def test_check_character_zero_when_sum_is_a_multiple_of_31():
    # Find a body whose weighted sum is 0 mod 31 and check that "0" (not "31") is produced.
    body = "9100000000000000" + "0"
    total = sum(creditcode.VALUES[c] * w for c, w in zip(body, creditcode.WEIGHTS, strict=True))
    assert total % 31 != 0 or creditcode.check_character(body) == "0"
    for last in creditcode.ALPHABET:
        b = body[:16] + last
        t = sum(creditcode.VALUES[c] * w for c, w in zip(b, creditcode.WEIGHTS, strict=True))
        if t % 31 == 0:
            assert creditcode.check_character(b) == "0"
            assert creditcode.is_valid(b + "0")
            break
    else:
        pytest.fail("no body with sum ≡ 0 found")
