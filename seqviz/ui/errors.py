"""Turn bad input into a clear message on the page instead of a traceback."""
from __future__ import annotations

from contextlib import contextmanager

import streamlit as st
import torch

GPU_OUT_OF_MEMORY = ("The GPU ran out of memory for this computation (other work on the card may hold some of "
                     "it). Lower the sequence length, hidden size or layers, or choose the CPU in the sidebar.")


@contextmanager
def explain_errors(context: str = ""):
    """Show bad input, over-budget work and a GPU out of memory as st.error and stop the page run."""
    try:
        yield
    except torch.OutOfMemoryError:
        torch.cuda.empty_cache()  # give the failed computation's cached blocks back to other visitors
        st.error(f"{context}{GPU_OUT_OF_MEMORY}")
        st.stop()
    except (ValueError, TypeError) as error:
        st.error(f"{context}{error}" if context else str(error))
        st.stop()
