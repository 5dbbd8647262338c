"""Bring your own model: the panel with which a visitor uploads a trained nn.RNN / nn.LSTM / nn.GRU.

The model lives in the visitor's session only (`st.session_state[<key>]`, a LoadedModel, whose weights
the backend finds by the file's digest while the session holds them; see seqviz.core.user_model). Not
in the URL: a link cannot carry a file. A file is read once, when it is uploaded, not at every rerun.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import streamlit as st

from seqviz.core.models import NONLINEARITIES
from seqviz.core.paths import assets
from seqviz.core.user_model import MAX_MODEL_BYTES, UserModel, check_limits, load_user_model

EXAMPLE_FILE = "sine-lstm.safetensors"  # made by scripts/make_example_model.py
EXAMPLE_TEXT = "Use the example LSTM"
FILE_TYPES = ("safetensors", "pt", "pth")
NAME_LENGTH = 80  # characters of a file name kept for messages and captions
_UNSAFE_IN_NAME = re.compile(r"[^\w.\- ]")  # Markdown, HTML and control characters among them


@dataclass(frozen=True)
class ModelUpload:
    """One page's upload: the session key its model is kept under, and the sizes the page computes."""

    key: str
    max_hidden: int
    max_layers: int
    bidirectional: bool = True

    def model(self) -> UserModel | None:
        """The session's model (its description), or None while the page shows its own models."""
        loaded = st.session_state.get(self.key)
        return None if loaded is None else loaded.model


def own_model_panel(upload: ModelUpload) -> UserModel | None:
    """The upload, the example and 'back' buttons, the RNN's nonlinearity and any refusal, in an
    expander; returns the visitor's model to show (None: the page builds its own)."""
    with st.expander("Your own trained model (upload)", expanded=upload.model() is not None):
        st.caption(f"The state dict of a stock nn.RNN, nn.LSTM or nn.GRU, as safetensors or saved with "
                   f"torch.save(module.state_dict()) (read weights-only: nothing in the file runs); at most "
                   f"{MAX_MODEL_BYTES // 2**20} MB, H ≤ {upload.max_hidden}, L ≤ {upload.max_layers}"
                   + ("" if upload.bidirectional else ", one direction") + ". Kept in this browser tab's session "
                   "only.")
        file = st.file_uploader("Model file", type=list(FILE_TYPES), key=f"{upload.key}_file",
                                max_upload_size=MAX_MODEL_BYTES // 2**20)
        _take_upload(upload, file)
        left, right = st.columns(2)
        left.button(EXAMPLE_TEXT, key=f"{upload.key}_example", on_click=_use_example, args=(upload,),
                    help="A small LSTM trained on a noisy sine (assets/examples, made by scripts/make_example_model.py).")
        right.button("Back to the page's own models", key=f"{upload.key}_forget", on_click=_forget, args=(upload,),
                     disabled=upload.model() is None)
        if st.session_state.get(f"{upload.key}_error"):
            st.error(st.session_state[f"{upload.key}_error"])
        return _with_nonlinearity(upload)


def _with_nonlinearity(upload: ModelUpload) -> UserModel | None:
    """The session's model, with an RNN's nonlinearity as the visitor chooses (its weights cannot say)."""
    model = upload.model()
    if model is None or model.kind != "rnn":
        return model
    choice = st.radio("Your RNN's nonlinearity φ (its weights do not say which it was trained with)", NONLINEARITIES,
                      key=f"{upload.key}_nonlinearity", horizontal=True)
    return model.with_nonlinearity(choice)


def showing_caption(model: UserModel, ignored: str) -> str:
    """What a page says while it shows the visitor's model; `ignored` names its controls that no longer apply."""
    return (f"Showing {model.label}. The seed in the sidebar no longer changes its weights (it still draws random "
            f"inputs); {ignored} do not apply to it.")


def _take_upload(upload: ModelUpload, file) -> None:
    """Read a newly uploaded file once; a removed file takes its model with it."""
    seen = f"{upload.key}_seen"
    file_id = None if file is None else file.file_id
    if file_id == st.session_state.get(seen):
        return
    st.session_state[seen] = file_id
    if file is not None:
        _load(upload, file.getvalue(), shown_name(file.name), "upload")
        return
    st.session_state.pop(f"{upload.key}_error", None)
    if st.session_state.get(f"{upload.key}_from") == "upload":
        _forget(upload)


def shown_name(name: str) -> str:
    """A file name safe to show in Markdown messages (st.error, st.info): word characters, dots, dashes
    and spaces kept, anything else as "_", at most NAME_LENGTH characters."""
    return _UNSAFE_IN_NAME.sub("_", name)[:NAME_LENGTH] or "the file"


def _use_example(upload: ModelUpload) -> None:
    _load(upload, assets("examples", EXAMPLE_FILE).read_bytes(), EXAMPLE_FILE, "example")


def _load(upload: ModelUpload, data: bytes, name: str, source: str) -> None:
    """Keep the file's model in the session, or its refusal (and no model) where it cannot be used."""
    _forget(upload)
    try:
        loaded = load_user_model(data, name)
        check_limits(loaded.model, upload.max_hidden, upload.max_layers, upload.bidirectional)
    except ValueError as error:
        st.session_state[f"{upload.key}_error"] = str(error)
        return
    st.session_state[upload.key] = loaded  # the session holds the weights: see seqviz.core.user_model
    st.session_state[f"{upload.key}_from"] = source


def _forget(upload: ModelUpload) -> None:
    for suffix in ("", "_from", "_error"):
        st.session_state.pop(upload.key + suffix, None)
