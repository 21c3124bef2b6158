"""Serve a WSGI app under gunicorn (or Flask's development server) and control it through its pidfile.

Kept empty on purpose: the gunicorn master process imports this package, and in gevent mode
nothing may be imported (let alone monkey-patched) before gunicorn's worker does the patching.
"""
