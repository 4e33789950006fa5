import pytest

from runtime.cgroups.convert import cpu_max, cpu_weight, io_weight, swap_max


@pytest.mark.parametrize(
    "shares, weight",
    [
        (0, 1),
        (2, 1),
        (3, 2),
        (512, 59),
        (1024, 100),
        (2048, 174),
        (4096, 303),
        (262143, 10000),
        (262144, 10000),
    ],
)
def test_cpu_weight_uses_the_new_formula(shares, weight):
    assert cpu_weight(shares) == weight


@pytest.mark.parametrize("blkio, io", [(10, 1), (100, 910), (500, 4950), (1000, 10000)])
def test_io_weight(blkio, io):
    assert io_weight(blkio) == io


@pytest.mark.parametrize(
    "memory, memory_swap, value",
    [(64, 128, "64"), (64, 64, "0"), (64, -1, "max")],
)
def test_swap_max_is_swap_alone(memory, memory_swap, value):
    assert swap_max(memory, memory_swap) == value


@pytest.mark.parametrize(
    "period, quota, value",
    [
        (100000, 50000, "50000 100000"),
        (None, 20000, "20000 100000"),
        (50000, None, "max 50000"),
        (None, -1, "max 100000"),
    ],
)
def test_cpu_max(period, quota, value):
    assert cpu_max(period, quota) == value
