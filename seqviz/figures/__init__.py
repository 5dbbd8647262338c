"""Pure figure functions: data in, Plotly figure out. One module per page or idea.

Importing the package makes seqviz's template (seqviz.figures.theme) Plotly's default."""
from seqviz.figures.theme import use_as_default

use_as_default()
