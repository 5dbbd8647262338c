"""single_threaded: one thread inside, the caller's count restored after, other threads untouched."""
import threading

import pytest
import torch

from seqviz.core.threads import single_threaded

pytestmark = pytest.mark.usefixtures("two_threads")


def test_single_threaded_restores_the_thread_count_even_after_an_error():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError):
        with single_threaded():
            assert torch.get_num_threads() == 1
            raise RuntimeError("boom")
    assert torch.get_num_threads() == before


def test_nested_sections_restore_the_outer_count():
    before = torch.get_num_threads()
    with single_threaded():
        with single_threaded():
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_a_section_in_another_thread_leaves_this_thread_alone():
    before = torch.get_num_threads()
    seen = []

    def other_session():
        with single_threaded():
            seen.append(torch.get_num_threads())

    worker = threading.Thread(target=other_session)
    worker.start()
    worker.join(10)
    assert seen == [1] and torch.get_num_threads() == before
