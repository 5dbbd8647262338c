"""seqviz: watch recurrent sequence models work.

The backend imports without Streamlit (usable from a notebook). Public entry points:
`build_model`, `trace`, `Trace`, `resolve_device`.
"""
from seqviz.core.devices import DEVICE_CHOICES, ResolvedDevice, resolve_device
from seqviz.core.models import INITS, KINDS, build_model, kind_of
from seqviz.core.tracing import Trace, trace

__all__ = ["DEVICE_CHOICES", "INITS", "KINDS", "ResolvedDevice", "Trace", "build_model", "kind_of",
           "resolve_device", "trace"]
