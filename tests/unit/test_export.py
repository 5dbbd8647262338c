"""Trace export: the NPZ and CSV files read back to the trace's numbers."""
import io

import numpy as np
import pandas as pd
import pytest

from seqviz.cell.export import EXPORT_CSV_MAX_BYTES, csv_size_estimate, trace_csv_bytes, trace_npz_bytes
from seqviz.cell.inputs import InputSpec
from seqviz.cell.run import CellConfig, run_cell


@pytest.fixture(scope="module")
def run():
    return run_cell(CellConfig(cell="lstm", hidden_size=3, num_layers=2, bidirectional=True,
                               input=InputSpec(source="text", text="abcab")))


def test_npz_round_trip_keeps_every_array(run):
    data = np.load(io.BytesIO(trace_npz_bytes(run.trace, run.sequence)))
    np.testing.assert_array_equal(data["hidden"], run.trace.hidden)
    np.testing.assert_array_equal(data["cell"], run.trace.cell)
    for name in "ifgo":
        np.testing.assert_array_equal(data[f"gate_{name}"], run.trace.gates[name])
    np.testing.assert_array_equal(data["x"], run.sequence.x)
    assert list(data["step_labels"]) == list("abcab") and str(data["kind"]) == "lstm"


def test_csv_round_trip_reads_back_float32_exactly(run):
    table = pd.read_csv(io.BytesIO(trace_csv_bytes(run.trace, run.sequence)))
    assert len(table) == 5 and list(table["label"]) == list("abcab")
    np.testing.assert_array_equal(table["h_l1_d1_u2"].to_numpy(np.float32), run.trace.hidden[:, 1, 1, 2])
    np.testing.assert_array_equal(table["f_l0_d0_u0"].to_numpy(np.float32), run.trace.gates["f"][:, 0, 0, 0])
    np.testing.assert_array_equal(table["c_l0_d1_u1"].to_numpy(np.float32), run.trace.cell[:, 0, 1, 1])
    assert table.shape[1] == 2 + 3 + 6 * 2 * 2 * 3 + 2 * 2


def test_csv_size_estimate_is_within_a_factor_two(run):
    size = len(trace_csv_bytes(run.trace, run.sequence))
    assert size / 2 < csv_size_estimate(run.trace, run.sequence) < size * 2


def test_csv_over_the_limit_is_refused_with_the_npz_as_alternative(run, monkeypatch):
    monkeypatch.setattr("seqviz.cell.export.EXPORT_CSV_MAX_BYTES", 100)
    with pytest.raises(ValueError, match="download the NPZ instead"):
        trace_csv_bytes(run.trace, run.sequence)
    assert EXPORT_CSV_MAX_BYTES > 100


def test_an_upload_with_a_repeated_header_name_keeps_every_feature_in_the_csv():
    run = run_cell(CellConfig(cell="rnn-tanh", hidden_size=2, input=InputSpec(source="csv", csv=b"a,a\n1,2\n3,4\n5,6\n")))
    table = pd.read_csv(io.BytesIO(trace_csv_bytes(run.trace, run.sequence)))
    assert table["x_a"].tolist() == [1, 3, 5] and table["x_a_2"].tolist() == [2, 4, 6]
