"""seqviz entry point: page navigation, a lesson's step (seqviz.ui.lessons), the shared sidebar (device, seed) and
the process-wide settings (one PyTorch thread per computation, the cuBLAS workspace, a frozen start-up heap); the
URL writes of each run go out together (seqviz.ui.state.url_batch)."""
import streamlit as st

from seqviz.core.devices import deterministic_cublas
from seqviz.ui.home import render_home
from seqviz.ui.lessons import lesson_panel, start_step
from seqviz.ui.registry import discover_pages
from seqviz.ui.runtime import configure_torch_threads, freeze_startup_heap
from seqviz.ui.sidebar import shared_sidebar
from seqviz.ui.state import url_batch

configure_torch_threads()
deterministic_cublas()  # before the first CUDA work of the process
freeze_startup_heap()
st.set_page_config(page_title="seqviz", page_icon="assets/favicon.png", layout="wide")
pages = [st.Page(render_home, title="Home", icon=":material/home:", default=True)]
pages += [st.Page(str(p.path), title=p.title, icon=p.icon, url_path=p.url_path) for p in discover_pages()]
navigation = st.navigation(pages, position="hidden")
lesson_step = start_step(pages, navigation.url_path)  # a lesson's step in the URL: its settings, maybe its page
with url_batch(navigation.url_path):
    lesson_panel(lesson_step)
    shared_sidebar(pages)
    navigation.run()
