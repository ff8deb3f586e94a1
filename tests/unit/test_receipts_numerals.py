"""Amounts on the 三证: figures and Chinese capital numerals (大写金额)."""

import pytest

from chalicelib.logic.receipts.numerals import fen_to_capital, fen_to_figures, yuan_capital


@pytest.mark.parametrize(
    ("fen", "capitals"),
    [
        (123_450, "壹仟贰佰叁拾肆元伍角整"),
        (0, "零元整"),
        (1, "壹分"),
        (10, "壹角整"),
        (11, "壹角壹分"),
        (100, "壹元整"),
        (105, "壹元零伍分"),
        (150, "壹元伍角整"),
        (1_000, "壹拾元整"),
        (1_005, "壹拾元零伍分"),
        (10_100, "壹佰零壹元整"),
        (101_000, "壹仟零壹拾元整"),
        (1_000_100, "壹万零壹元整"),
        (10_010_000, "壹拾万零壹佰元整"),
        (100_000_001, "壹佰万元零壹分"),
        (100_000_000, "壹佰万元整"),
        (10_000_000_000, "壹亿元整"),
        (10_000_000_100, "壹亿零壹元整"),
        (10_001_000_000, "壹亿零壹万元整"),
        (200_100_000_000, "贰拾亿零壹佰万元整"),
        (1_000_100_000_000, "壹佰亿零壹佰万元整"),
        (9_999_999_999, "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ],
)
def test_capital_numerals(fen, capitals):
    assert fen_to_capital(fen) == capitals


def test_zero_runs_collapse_to_one_ling():
    assert yuan_capital(10_001) == "壹万零壹"
    assert yuan_capital(1_000_001) == "壹佰万零壹"
    assert yuan_capital(100_010) == "壹拾万零壹拾"
    assert "零零" not in "".join(fen_to_capital(n) for n in range(0, 2_000_000, 997))


@pytest.mark.parametrize(("fen", "figures"), [(123_450, "¥1,234.50"), (10, "¥0.10"), (100_000_001, "¥1,000,000.01")])
def test_figures(fen, figures):
    assert fen_to_figures(fen) == figures


@pytest.mark.parametrize("bad", [-1, 1.5, True, "100"])
def test_money_is_non_negative_integer_fen(bad):
    with pytest.raises((TypeError, ValueError)):
        fen_to_capital(bad)
