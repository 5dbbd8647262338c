"""benchmarks.long_session's arithmetic: the to-and-fro walk, the slowdown ratio and the block table."""
from benchmarks.long_session import Block, forward_at, report, slowdown


def block(median_ms: float) -> Block:
    return Block(median_ms, css_rules=1100, dom_elements=2587, js_heap_bytes=80_000_000, server_rss_bytes=386_000_000)


def test_the_walk_goes_sweep_changes_forward_then_as_many_back():
    assert [forward_at(k, 3) for k in range(8)] == [True, True, True, False, False, False, True, True]


def test_slowdown_is_the_last_blocks_median_over_the_first():
    assert slowdown([block(100), block(300), block(125)]) == 1.25


def test_the_table_numbers_each_block_and_ends_the_last_at_the_last_change(capsys):
    report("Page", [block(100), block(110), block(90)], block=50, changes=120)
    out = capsys.readouterr().out
    assert "1–50" in out and "51–100" in out and "101–120" in out and "101–150" not in out
    assert "last block ÷ first block: 0.90x" in out
    assert "2587" in out and "386" in out
