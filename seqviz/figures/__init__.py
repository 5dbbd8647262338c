"""Pure figure functions: data in, Plotly figure out. One module per page or idea.

Every figure carries seqviz's template (seqviz.figures.theme) itself; importing the package leaves
Plotly's global default template alone."""
