"""A small decoder-only Transformer beside the recurrent and state-space models (no Streamlit)."""
