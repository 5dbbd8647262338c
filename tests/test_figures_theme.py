"""seqviz's Plotly template is the default for every figure, however it was built."""
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from seqviz.figures import plain, theme


def test_importing_the_figures_makes_the_seqviz_template_plotlys_default():
    assert pio.templates.default == theme.NAME and pio.templates[theme.NAME] == theme.TEMPLATE


def test_unvalidated_validated_and_subplot_figures_all_carry_it():
    figures = [plain.figure([dict(type="scatter", y=[1, 2])], {}), go.Figure(go.Scatter(y=[1, 2])),
               make_subplots(rows=2, cols=1)]
    for fig in figures:
        layout = fig.layout.template.layout
        assert layout.paper_bgcolor == layout.plot_bgcolor == "rgba(0, 0, 0, 0)"
        assert list(layout.colorway) == list(theme.TEMPLATE.layout.colorway)
