"""The colours a problem, an all-clear and a caution are shown in, the same in every window.

A module of their own, with no widget in it: the sign-in window shows its problems in the same red without
loading the form fields (and the wheel guard they install), which it has none of (issue 14: the sign-in window
loads only what it shows).
"""

ERROR_STYLE = "color: #a11a1a;"
OK_STYLE = "color: #1d6b2f;"
CAUTION_STYLE = "background: #fdecea; color: #8e1b12; border: 2px solid #c0392b; border-radius: 4px; padding: 4px;"
