"""Input generators and the CSV parser: shapes, values, bounds and clear errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from seqviz.cell.inputs import (
    INCIDENT_EVENTS,
    MAX_SEQUENCE_LENGTH,
    UPLOAD_MAX_BYTES,
    InputSpec,
    gaussian,
    incident_events,
    make_input,
    parse_csv,
    step_or_impulse,
    text,
    wave,
)


def test_incident_events_are_one_hot_in_the_seeds_order():
    seq = incident_events()
    np.testing.assert_array_equal(seq.x, np.eye(3))
    assert seq.step_labels == INCIDENT_EVENTS == ("error logged", "reproduction confirmed", "rollback requested")


def test_reversed_sequence_flips_steps_and_labels():
    seq = incident_events().reversed()
    np.testing.assert_array_equal(seq.x, np.eye(3)[::-1])
    assert seq.step_labels[0] == "rollback requested"


def test_reversed_single_step_converts_to_a_torch_tensor():
    import torch

    assert torch.tensor(gaussian(1, 2).reversed().x).shape == (1, 2)


def test_sine_without_noise_is_the_sine_of_the_period():
    seq = wave("sine", 50, period=10, noise=0.0)
    np.testing.assert_allclose(seq.x[:, 0], np.sin(2 * np.pi * np.arange(50) / 10), atol=1e-6)


def test_square_wave_noise_has_the_requested_scale_and_seed():
    clean = wave("square", 2000, period=20, noise=0.0).x[:, 0]
    noisy = wave("square", 2000, period=20, noise=0.5, seed=3).x[:, 0]
    assert set(np.unique(clean)) == {-1.0, 1.0}
    assert abs(np.std(noisy - clean) - 0.5) < 0.05
    np.testing.assert_array_equal(noisy, wave("square", 2000, period=20, noise=0.5, seed=3).x[:, 0])


def test_gaussian_has_the_requested_shape_and_is_seeded():
    a, b = gaussian(40, 5, seed=1), gaussian(40, 5, seed=2)
    assert a.x.shape == (40, 5) and a.x.dtype == np.float32
    assert not np.array_equal(a.x, b.x)


def test_step_and_impulse_switch_on_at_the_onset():
    np.testing.assert_array_equal(step_or_impulse("step", 6, 2).x[:, 0], [0, 0, 1, 1, 1, 1])
    np.testing.assert_array_equal(step_or_impulse("impulse", 6, 2).x[:, 0], [0, 0, 1, 0, 0, 0])


@pytest.mark.parametrize("steps", [0, MAX_SEQUENCE_LENGTH + 1, 2.5])
def test_lengths_outside_1_to_2000_are_refused(steps):
    with pytest.raises(ValueError, match="from 1 to 2000"):
        wave("sine", steps, 10, 0.1)


def test_lengths_at_the_bounds_are_accepted():
    assert gaussian(1, 1).steps == 1 and gaussian(MAX_SEQUENCE_LENGTH, 1).steps == MAX_SEQUENCE_LENGTH


def test_onset_beyond_the_sequence_is_refused_with_the_range():
    with pytest.raises(ValueError, match="from 0 to 4"):
        step_or_impulse("impulse", 5, 5)


def test_text_one_hot_is_over_the_sorted_alphabet():
    seq = text("abca")
    assert seq.feature_names == ("'a'", "'b'", "'c'")
    np.testing.assert_array_equal(seq.x.argmax(axis=1), [0, 1, 2, 0])
    assert seq.step_labels == ("a", "b", "c", "a")


def test_white_space_steps_get_visible_labels():
    assert text("a b\tc\n\u00a0").step_labels == ("a", "␣", "b", "\\t", "c", "\\n", "\\xa0")


def test_text_embedding_gives_a_character_the_same_vector_in_any_text():
    one, other = text("abc", "embedding", 6, seed=4), text("zza", "embedding", 6, seed=4)
    assert one.x.shape == (3, 6)
    np.testing.assert_array_equal(one.x[0], other.x[2])
    assert not np.array_equal(one.x[0], one.x[1])


def test_empty_text_and_unknown_encoding_are_refused():
    with pytest.raises(ValueError, match="empty"):
        text("")
    with pytest.raises(ValueError, match="onehot, embedding"):
        text("ab", "bytes")


def test_csv_with_header_names_the_features():
    seq = parse_csv(b"temp,load\n1.5,2\n3,-4e-1\n")
    assert seq.feature_names == ("temp", "load")
    np.testing.assert_allclose(seq.x, [[1.5, 2.0], [3.0, -0.4]])


def test_csv_without_header_uses_every_row():
    seq = parse_csv(b"1,2\n3,4\n5,6\n")
    assert seq.x.shape == (3, 2) and seq.feature_names == ("col0", "col1")


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(1, 6)),
              elements=st.floats(-1e6, 1e6, allow_nan=False, width=32)))
def test_any_finite_table_written_as_csv_parses_back_to_the_same_numbers(table):
    data = "\n".join(",".join(repr(float(v)) for v in row) for row in table).encode()
    np.testing.assert_array_equal(parse_csv(data).x, table.astype(np.float32))


def test_csv_text_cell_is_named_with_its_row_and_column():
    with pytest.raises(ValueError, match=r"text cell 'high' at row 3, column 2"):
        parse_csv(b"a,b\n1,2\n3,high\n", "data.csv")


def test_empty_csv_is_refused():
    with pytest.raises(ValueError, match="empty"):
        parse_csv(b"")
    with pytest.raises(ValueError, match="empty"):
        parse_csv(b"\n  \n")


def test_oversize_csv_is_refused_before_parsing():
    big = b"1.0\n" * (50 * 1024**2 // 4)
    with pytest.raises(ValueError, match=r"50\.0 MB; CSV uploads are limited to 5 MB"):
        parse_csv(big)
    assert len(big) > UPLOAD_MAX_BYTES


def test_csv_nan_and_empty_cells_name_the_rows():
    with pytest.raises(ValueError, match=r"2 row\(s\) with empty, NaN or infinite cells, or numbers beyond "
                                         r"float32's ±3.4e38 \(row 2, 4\)"):
        parse_csv(b"x,y\n1,nan\n2,3\n,4\n")


def test_a_number_float64_holds_but_float32_does_not_is_refused_like_infinity():
    with pytest.raises(ValueError, match=r"1 row\(s\) .* beyond float32's ±3.4e38 \(row 2\)"):
        parse_csv(b"a,b\n1e39,2\n3,4\n")
    assert parse_csv(b"a\n3e38\n").x[0, 0] == np.float32(3e38)


def test_repeated_or_blank_header_names_become_unique_feature_names():
    sequence = parse_csv(b"a,a, ,a_2\n1,2,3,4\n5,6,7,8\n")
    assert sequence.feature_names == ("a", "a_2", "col2", "a_2_2")
    assert sequence.x.tolist() == [[1, 2, 3, 4], [5, 6, 7, 8]]


def test_csv_with_too_many_rows_is_refused():
    with pytest.raises(ValueError, match="2001 data rows; at most 2000"):
        parse_csv(b"1\n" * 2001)


def test_binary_file_is_refused_as_not_utf8():
    with pytest.raises(ValueError, match="not a UTF-8"):
        parse_csv(b"\xff\xfe\x00\x01")


def test_make_input_without_an_upload_asks_for_one():
    with pytest.raises(ValueError, match="no CSV uploaded"):
        make_input(InputSpec(source="csv"))


def test_make_input_refuses_an_unknown_source():
    with pytest.raises(ValueError, match="must be one of incident, sine"):
        make_input(InputSpec(source="audio"))


def test_a_very_wide_csv_is_refused_before_it_is_parsed(monkeypatch):
    """A 4.6 MB line of 2.3 million columns once took 94 s and 5.8 GB inside the CSV parser."""
    import seqviz.cell.inputs as inputs

    monkeypatch.setattr(inputs.pd, "read_csv", lambda *a, **k: pytest.fail("the parser ran"))
    with pytest.raises(ValueError, match=r"has 2,?300,?000 columns in line 1|has 2300000 columns in line 1"):
        parse_csv(b"1," * 2_299_999 + b"1\n")


def test_a_header_of_thousands_of_repeats_is_refused_before_its_names_are_made_unique(monkeypatch):
    """4,000 copies of one name took 114 s when the names were de-duplicated first (cubic)."""
    import seqviz.cell.inputs as inputs

    monkeypatch.setattr(inputs, "_unique", lambda names: pytest.fail("the names were de-duplicated"))
    with pytest.raises(ValueError, match="has 4000 columns in line 1; at most 64 features"):
        parse_csv(b",".join([b"a"] * 4000) + b"\n" + b",".join([b"1"] * 4000) + b"\n")


def test_commas_inside_quoted_header_names_do_not_count_as_columns():
    seq = parse_csv(b'"load, kW","temp"\n1,2\n')
    assert seq.feature_names == ("load, kW", "temp")


def test_repeated_names_are_numbered_in_linear_time():
    from seqviz.cell.inputs import _unique

    class Counted(str):
        """A name that counts the hash and equality operations done on it."""
        operations = 0

        def __hash__(self):
            Counted.operations += 1
            return str.__hash__(self)

        def __eq__(self, other):
            Counted.operations += 1
            return str.__eq__(self, other)

    names = _unique([Counted("a")] * 2000 + ["a_2", "b"])
    assert names[:3] == ("a", "a_2", "a_3") and names[-2:] == ("a_2_2", "b")
    assert len(set(names)) == len(names)
    assert Counted.operations <= 5 * 2000  # a few lookups per name; scanning a list made it ~2 million
