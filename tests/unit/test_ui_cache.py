"""The shared caching policy: backend functions are wrapped once per process, page functions per run."""
from seqviz.ssm import s4 as ssm
from seqviz.ui.cache import cached_data, cached_resource


def test_a_backend_function_is_wrapped_once_and_still_computes():
    first, again = cached_data(ssm.hippo_legs), cached_data(ssm.hippo_legs)
    assert first is again
    A, B = first(4)
    assert A.shape == (4, 4) and B.tolist() == [1.0, 3**0.5, 5**0.5, 7**0.5]
    assert cached_resource(ssm.hippo_legs) is not first  # data and resource caches stay apart


def test_a_function_defined_outside_the_backend_is_wrapped_every_time():
    def square(x: int) -> int:
        return x * x

    assert cached_data(square) is not cached_data(square)
    assert cached_data(square)(3) == 9
