"""The only Streamlit code outside app.py and pages/: shared widgets, URL state, page registry."""
