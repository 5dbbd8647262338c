"""The controls every page shares (device, seed), drawn by app.py and read by each page."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from seqviz.core.devices import DEVICE_CHOICES, resolve_device
from seqviz.ui.state import link_query, url_number, url_selectbox

SEED_MAX = 2**31 - 1
DEFAULT_DEVICE = "auto"
DEFAULT_SEED = 0
SHARED_KEYS = ("device", "seed")


@dataclass(frozen=True)
class SharedSettings:
    device: str  # resolved: "cpu", "cuda" or "mps" (the sidebar explains a fallback)
    seed: int


def shared_sidebar(pages: list) -> None:
    """Draw a link to each of `pages` (st.Page objects, the app's navigation hidden) and the shared
    controls in the sidebar (called once per run by app.py).

    Links, not st.navigation's own sidebar menu: Streamlit draws its menu again at every update of
    the page, which delays every change (docs/performance.md); the links are plain elements, sent
    only by full reruns."""
    with st.sidebar:
        links = st.container()  # above the controls, drawn after them (their values go in the links)
        url_selectbox("Device", DEVICE_CHOICES, key="device", default=DEFAULT_DEVICE,
                      help="Where the models run. 'auto' picks a GPU when there is one.")
        url_number("Seed", 0, SEED_MAX, key="seed", default=DEFAULT_SEED, step=1,
                   help="Same seed, same weights and inputs: a link reproduces the view.")
        for page in pages:
            links.page_link(page, query_params=link_query(page.url_path, SHARED_KEYS))
        message = resolve_device(st.session_state["device"]).message
        if message:
            st.info(message)


def shared_settings() -> SharedSettings:
    """The shared settings from session state, with defaults when a page runs on its own."""
    resolved = resolve_device(st.session_state.get("device", DEFAULT_DEVICE))
    return SharedSettings(resolved.name, int(st.session_state.get("seed", DEFAULT_SEED)))
