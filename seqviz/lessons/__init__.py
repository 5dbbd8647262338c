"""Lessons: ready-made stories through the app, as Markdown files (docs/lessons.md). No Streamlit here.

format    the file format: header, steps, settings, predict-first questions, try-this lists; the checks
facts     numbers a narrative quotes ({{rnn_ratio}}), computed from the step's settings by the backend
library   where lessons are found: assets/lessons and $SEQVIZ_LESSONS_DIR
handout   one self-contained HTML file of a lesson, its figures as interactive Plotly
"""
