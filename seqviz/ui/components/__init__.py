"""Browser-side controls: the step scrubber and the instant views, each a Streamlit component in its
own folder (Python, JavaScript, CSS), and the sequence numbers both use to stay in sync with the server."""
