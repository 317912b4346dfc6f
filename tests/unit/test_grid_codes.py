import pytest

from kaoping.domain.errors import InvalidGridCodeError
from kaoping.domain.grid_codes import GridCode, reading_order


def test_a_real_grid_code_splits_into_admin_town_community_and_sequence() -> None:
    code = GridCode.parse("320582110152102")  # 张家港, a grid id seen in real data
    assert (code.admin, code.town, code.community, code.sequence) == ("320582", "110", "152", "102")
    assert code.community_code == "320582110152"
    assert str(code) == "320582110152102"


def test_compose_pads_the_sequence_to_three_digits() -> None:
    assert str(GridCode.compose("379901001002", 7)) == "379901001002007"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("37990100100200", "15 位"),
        ("3799010010020071", "15 位"),
        ("37990100100200A", "数字"),
        ("379901001002000", "001"),
        ("３７９９０１００１００２００７", "数字"),  # full-width digits typed in a spreadsheet
    ],
)
def test_malformed_grid_codes_are_refused_with_the_reason(code: str, reason: str) -> None:
    with pytest.raises(InvalidGridCodeError, match=reason):
        GridCode.parse(code)


def test_compose_refuses_a_bad_community_code_or_sequence() -> None:
    with pytest.raises(InvalidGridCodeError, match="12 位"):
        GridCode.compose("37990100100", 1)
    with pytest.raises(InvalidGridCodeError, match="001-999"):
        GridCode.compose("379901001002", 1000)


def test_grids_are_numbered_west_to_east_then_north_to_south() -> None:
    # Two rows of 100 m cells; input order is shuffled on purpose.
    centroids = [(150.0, 50.0), (50.0, 150.0), (50.0, 50.0), (250.0, 150.0), (150.0, 150.0)]
    assert reading_order(centroids, row_height=100.0) == [1, 4, 3, 2, 0]


def test_reading_order_is_deterministic_for_equal_positions() -> None:
    assert reading_order([(0.0, 0.0), (0.0, 0.0)], row_height=10.0) == [0, 1]
    assert reading_order([], row_height=10.0) == []
