"""Turn bad input into a clear message on the page instead of a traceback."""
from __future__ import annotations

from contextlib import contextmanager

import streamlit as st


@contextmanager
def explain_errors(context: str = ""):
    """Show ValueError/TypeError (bad input, over-budget work) as st.error and stop the page run."""
    try:
        yield
    except (ValueError, TypeError) as error:
        st.error(f"{context}{error}" if context else str(error))
        st.stop()
