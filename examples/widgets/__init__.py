"""Example widgets for fh-anywidget: each one is an ordinary ``anywidget.AnyWidget``.

They run unchanged in Jupyter. In a FastHTML page, ``host.widget(Counter, value=3)`` ships
this package to the visitor's browser and runs it there, in Pyodide. The browser tests in
tests/browser/ drive them, so every behaviour they show is checked.
"""

from .bar_chart import BarChart
from .census import Census
from .choice import Choice
from .counter import Counter, counter_from
from .drawing import PointCount, scatter
from .echo import Echo
from .failing import Failing, FragileCounter
from .late_import import LateImport
from .range_slider import RangeSlider

__all__ = ["BarChart", "Census", "Choice", "Counter", "Echo", "Failing", "FragileCounter", "LateImport", "PointCount",
           "RangeSlider", "counter_from", "scatter"]
