"""A small dashboard built the FastHTML way (examples/dashboard/app.py): widgets as form filters, an
htmx-driven table, and a server-mode numpy simulation whose observer pushes its summary."""
