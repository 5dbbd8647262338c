"""Pure figure functions: data in, Plotly figure out. One module per page or idea."""
