"""GB 32100-2015 unified social credit codes."""

import pytest

from chalicelib.logic.credit_code import ALPHABET, check_character, is_valid_credit_code

# Published examples and codes computed with the check algorithm.
VALID = [
    "91350100M000100Y43",  # the standard's own worked example
    "53100000500021676K",
    "911100001000044477",
    "53420000MJH47635XD",
    "52420500MJD21894QX",
    "531100005001872633",
]


@pytest.mark.parametrize("code", VALID)
def test_valid_codes_pass(code):
    assert is_valid_credit_code(code)
    assert is_valid_credit_code(code.lower())
    assert is_valid_credit_code(f"  {code} ")


@pytest.mark.parametrize("code", VALID)
def test_every_single_character_change_is_caught(code):
    for position in range(18):
        for char in ALPHABET:
            if char == code[position]:
                continue
            changed = code[:position] + char + code[position + 1 :]
            if position in range(2, 8) and not char.isdigit():
                assert not is_valid_credit_code(changed)
                continue
            assert not is_valid_credit_code(changed), changed


@pytest.mark.parametrize(
    "code",
    [
        "",
        "91350100M000100Y4",  # 17 characters
        "91350100M000100Y433",  # 19 characters
        "91350100M000100I43",  # I is not in the alphabet
        "91350100M000100O43",  # nor O
        "9135010SM000100Y43",  # division code must be digits
        "91350100M000100Y44",  # wrong check character
        "９１350100M000100Y43",  # full-width digits
    ],
)
def test_malformed_codes_fail(code):
    assert not is_valid_credit_code(code)


def test_check_character_is_zero_when_the_remainder_is_zero():
    # weights sum of "0"*17 is 0 -> 31 - 0 = 31 -> written as "0"
    assert check_character("0" * 17) == "0"


def test_check_character_rejects_bad_input():
    with pytest.raises(ValueError):
        check_character("123")
